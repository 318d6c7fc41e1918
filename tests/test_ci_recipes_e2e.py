"""The CI recipes in examples/ci: the workflows are valid GitHub workflows that preview with a
saved plan, apply that plan stack after stack behind approvals, and check drift nightly; and a
saved plan, applied through the engine, does exactly what the preview showed (or stops)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from pulumi_stages.emulator import EmulatorServer
from tests.engine import ROOT, PulumiCli

WORKFLOWS = ROOT / "examples" / "ci" / "workflows"
EXAMPLE = ROOT / "examples" / "outreach"


class WorkflowLoader(yaml.SafeLoader):
    """YAML as GitHub reads it (1.2 booleans): `on:` is a key, not `True`."""


WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
WorkflowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf")
)


def workflow_schema() -> dict[str, Any]:
    """The published GitHub workflow schema (schemastore's), as check-jsonschema vendors it."""
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads((vendor / "github-workflows.json").read_text())
    return schema


def load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.load((WORKFLOWS / name).read_text(), WorkflowLoader)
    return document


def run_lines(workflow: dict[Any, Any]) -> list[str]:
    """Every shell line of every step, continuation lines joined."""
    text = "\n".join(
        step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", [])
    )
    return text.replace("\\\n", " ").splitlines()


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_each_workflow_is_valid_against_the_github_workflow_schema(path: Path) -> None:
    schema = workflow_schema()
    validator = jsonschema.Draft7Validator(schema)
    document = load(path.name)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


def test_the_schema_refuses_a_broken_workflow() -> None:
    """The validation can fail: a job without `runs-on` or `uses` is not a workflow."""
    broken = load("stages-drift.yml")
    del broken["jobs"]["drift"]["runs-on"]
    assert not jsonschema.Draft7Validator(workflow_schema()).is_valid(broken)


def test_pull_requests_preview_every_stack_and_save_its_plan() -> None:
    workflow = load("stages-preview.yml")
    assert "pull_request" in workflow["on"]
    [job] = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    # unreviewed code: same-repository pull requests only, with each stack's read-only secrets
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["environment"] == "preview-${{ matrix.stack }}"
    [preview] = [line for line in run_lines(workflow) if line.strip().startswith("pulumi preview")]
    assert "--save-plan" in preview and "--refresh" in preview
    assert any("gh pr comment" in line for line in run_lines(workflow))
    uploads = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload")]
    assert uploads[0]["with"]["name"] == "plan-${{ matrix.stack }}"


def test_merges_apply_the_reviewed_plans_one_environment_after_another() -> None:
    chain = load("stages-apply.yml")["jobs"]
    assert list(chain) == ["dev", "staging", "prod"]
    assert (chain["staging"]["needs"], chain["prod"]["needs"]) == ("dev", "staging")
    assert chain["dev"]["if"] == "github.event.pull_request.merged == true"
    stack = load("stages-apply-stack.yml")
    [job] = stack["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"  # its approval gate
    [up] = [line for line in run_lines(stack) if line.strip().startswith("pulumi up")]
    assert "--plan" in up and "--refresh" in up


def test_the_nightly_job_runs_the_drift_check() -> None:
    workflow = load("stages-drift.yml")
    assert workflow["on"]["schedule"]
    assert any("pulumi-stages drift" in line for line in run_lines(workflow))
    [job] = workflow["jobs"].values()
    assert job["environment"] == "preview-${{ matrix.stack }}"  # reading needs no write token


def test_merges_apply_only_what_a_preview_planned() -> None:
    """The apply runs on the same paths as the preview: a merge that saved no plan does not
    start an apply that would fail looking for one."""
    preview = load("stages-preview.yml")["on"]["pull_request"]["paths"]
    assert load("stages-apply.yml")["on"]["pull_request"]["paths"] == preview


def test_drift_and_apply_of_one_stack_never_run_at_once() -> None:
    """One concurrency group per stack for the drift check and the apply (a preview takes no
    lock, so a drift check during an apply would report its half-done writes)."""
    [apply] = load("stages-apply-stack.yml")["jobs"].values()
    [drift] = load("stages-drift.yml")["jobs"].values()
    assert apply["concurrency"] == {
        "group": "stages-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }
    assert drift["concurrency"]["group"] == "stages-${{ matrix.stack }}"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_every_cli_install_is_pinned_to_the_tested_version(path: Path) -> None:
    """Preview and apply must run the same CLI (a saved plan is a preview feature of it): the
    version this repository's toolchain builds."""
    pinned = re.search(
        r'^PULUMI_VERSION="v(.+)"$', (ROOT / "tools" / "setup-toolchain.sh").read_text(), re.M
    )
    assert pinned
    installs = [line for line in run_lines(load(path.name)) if "get.pulumi.com" in line]
    assert all(line.endswith(f"| sh -s -- --version {pinned[1]}") for line in installs), installs


@pytest.mark.parametrize(("code", "passes"), [(0, True), (2, True), (1, False), (3, False)])
def test_the_drift_step_passes_only_in_sync_or_on_drift(
    tmp_path: Path, code: int, passes: bool
) -> None:
    """The drift step's own script, run as GitHub runs it (`bash -eo pipefail`), with a stand-in
    `pulumi-stages` exiting `code`: 0 and 2 go on (2 to the issue step), anything else fails."""
    [job] = load("stages-drift.yml")["jobs"].values()
    [step] = [s for s in job["steps"] if s.get("id") == "drift"]
    script = tmp_path / "step.sh"
    script.write_text(step["run"].replace("${{ matrix.stack }}", "dev"))
    stand_in = tmp_path / "bin" / "pulumi-stages"
    stand_in.parent.mkdir()
    stand_in.write_text(f"#!/bin/sh\necho report\nexit {code}\n")
    stand_in.chmod(0o755)
    output = tmp_path / "output"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=tmp_path,
        env={
            "PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode == 0) is passes, done.stdout + done.stderr
    assert output.read_text() == f"code={code}\n"


def recolour(pulumi: PulumiCli) -> None:
    """The change under review: one stage's colour."""
    program = pulumi.project / "__main__.py"
    program.write_text(program.read_text().replace('"#00a3e0"', '"#1abc9c"'))


def stage_ids(emulator: EmulatorServer) -> dict[str, int]:
    state: Any = emulator.service.state  # type: ignore[attr-defined]
    return {s.name: int(s.id) for s in state.listing()}


@pytest.fixture
def reviewed(tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str) -> PulumiCli:
    """An applied stack, then a colour change previewed as CI does: the plan in plan.json."""
    pulumi = PulumiCli(tmp_path, pulumi_home, EXAMPLE)
    pulumi.init_stack("dev", outreach, token)
    pulumi("up", "--yes", "--skip-preview")
    recolour(pulumi)
    preview = pulumi("preview", "--diff", "--refresh", "--save-plan", str(tmp_path / "plan.json"))
    assert re.search(r'~ color +: "#00a3e0" => "#1abc9c"', preview), preview
    return pulumi


@pytest.mark.e2e
def test_a_saved_plan_is_applied_exactly(
    reviewed: PulumiCli, outreach: EmulatorServer, tmp_path: Path
) -> None:
    outreach.log.reset()
    applied = reviewed("up", "--yes", "--refresh", "--plan", str(tmp_path / "plan.json"))
    contacted = stage_ids(outreach)["Contacted"]
    body = {"data": {"type": "stage", "id": contacted, "attributes": {"color": "#1abc9c"}}}
    assert [(w.method, w.path, w.body) for w in outreach.log.writes()] == [
        ("PATCH", f"/api/v2/stages/{contacted}", body)
    ]
    assert "1 updated" in applied
    reviewed("preview", "--expect-no-changes")


@pytest.mark.e2e
def test_an_account_changed_after_the_preview_stops_the_apply_before_any_write(
    reviewed: PulumiCli, outreach: EmulatorServer, token: str, tmp_path: Path
) -> None:
    renamed = stage_ids(outreach)["New"]
    body = {"data": {"type": "stage", "id": renamed, "attributes": {"name": "Fresh"}}}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    assert httpx.patch(f"{outreach.base_url}/stages/{renamed}", json=body, headers=headers)
    outreach.log.reset()

    done = reviewed.run("up", "--yes", "--refresh", "--plan", str(tmp_path / "plan.json"))

    print(done.stdout[-1500:])
    assert done.returncode != 0
    assert "sales/outreach/New violates plan: properties changed: =~name[{New}]" in done.stdout
    assert outreach.log.writes() == []  # the planned PATCH did not go either
    again = reviewed("preview", "--diff", "--refresh")  # what to do: preview again
    assert re.search(r'~ name +: "Fresh" => "New"', again), again
