"""The CI recipes in examples/ci: the workflows are valid GitHub workflows that preview with a
saved plan, apply that plan stack after stack behind approvals, and check drift nightly; and a
saved plan, applied through the engine, does exactly what the preview showed (or stops)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from pulumi_stages.emulator import EmulatorServer, OutreachService
from tests.engine import ROOT, PulumiCli
from tests.stack_setup import SavedStart

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
    jobs = workflow["jobs"]
    # unreviewed code: same-repository pull requests only, with each stack's read-only secrets
    assert jobs["stacks"]["if"] == (
        "github.event.pull_request.head.repo.full_name == github.repository"
    )
    job = jobs["preview"]
    assert job["needs"] == "stacks"
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert job["environment"] == "preview-${{ matrix.stack }}"
    lines = run_lines(workflow)
    assert any(line.startswith('python "$STAGES_CI/preview.py"') for line in lines)
    assert any('python "$STAGES_CI/comment.py"' in line for line in lines)  # one, updated
    uploads = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload")]
    assert uploads[0]["with"]["name"] == "plan-${{ matrix.stack }}"
    assert "if" not in uploads[0]  # only after this stack's own preview succeeded


def test_merges_and_manual_runs_apply_each_stack_after_its_own_preview() -> None:
    workflow = load("stages-apply.yml")
    assert "workflow_dispatch" in workflow["on"]  # the way to preview again and approve
    apply = workflow["jobs"]["apply"]
    assert apply["uses"] == "./.github/workflows/stages-apply-stack.yml"
    assert apply["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert apply["strategy"]["max-parallel"] == 1  # in STAGES_STACKS order
    assert apply["strategy"]["fail-fast"] is False  # one stack's failure stops no other
    assert apply["with"]["ref"] == (
        "${{ github.event.pull_request.merge_commit_sha || github.sha }}"
    )
    stack = load("stages-apply-stack.yml")["jobs"]
    assert stack["apply"]["environment"] == "${{ inputs.stack }}"  # its approval gate
    assert stack["reapply"]["environment"] == "${{ inputs.stack }}"  # asked again
    assert stack["reapply"]["if"] == "needs.apply.outputs.differs == 'true'"
    lines = run_lines(load("stages-apply-stack.yml"))
    assert any('python "$STAGES_CI/apply.py"' in line and "--differ ask" in line for line in lines)
    assert any('python "$STAGES_CI/find_plan.py"' in line for line in lines)
    assert not any("--status success" in line for line in lines)  # no whole-matrix condition


def test_the_nightly_job_runs_the_drift_check_without_reviewers() -> None:
    workflow = load("stages-drift.yml")
    assert workflow["on"]["schedule"]
    assert any('python "$STAGES_CI/drift.py"' in line for line in run_lines(workflow))
    job = workflow["jobs"]["drift"]
    # an environment of its own: reviewers on the preview environments never hold it up
    assert job["environment"] == "drift-${{ matrix.stack }}"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_the_project_folder_and_stacks_are_set_once_and_every_script_exists(path: Path) -> None:
    """No workflow names a stack or a folder of its own: STAGES_DIR and STAGES_STACKS are
    repository variables; every script a step runs is in examples/ci/stages-ci."""
    text = path.read_text()
    assert "[dev, staging, prod]" not in text and '"dev"' not in text
    env = load(path.name).get("env", {})
    assert env.get("STAGES_DIR") == "${{ vars.STAGES_DIR || '.' }}"
    assert env.get("STAGES_CI") == ".github/stages-ci"
    for script in re.findall(r'"\$STAGES_CI/([\w.]+)"', text):
        assert (WORKFLOWS.parent / "stages-ci" / script).is_file(), script
    steps = [s for job in load(path.name)["jobs"].values() for s in job.get("steps", [])]
    installs = [s for s in steps if "pip install" in s.get("run", "")]
    assert installs or path.name == "stages-apply.yml"  # it only calls stages-apply-stack.yml
    for step in installs:  # in the project folder: a wheel path resolves from there
        assert step["working-directory"] == "${{ env.STAGES_DIR }}"
        assert step["run"] == "python -m pip install -r requirements.txt"


def test_the_recipes_requirements_install_pulumi_stages_from_the_wheel_or_git() -> None:
    """The package is not on the index: the requirements name the wheel built from the
    repository (its name matches the version being built) or a git URL, never a bare name."""
    lines = [
        line.strip()
        for line in (WORKFLOWS.parent / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version
    assert f"./wheels/pulumi_stages-{version[1]}-py3-none-any.whl" in lines
    assert not any(re.match(r"^pulumi-stages\s*($|[<>=~])", line) for line in lines)


def test_a_queued_drift_check_never_cancels_an_apply() -> None:
    """A stack's applies share one concurrency group, never cancelled in progress; the drift
    check has a group of its own, since a job queued in a group cancels the one pending there
    (a nightly check would cancel an apply waiting in line). Drift it finds during an apply is
    checked again before it is reported (drift.py --confirm-after)."""
    jobs = load("stages-apply-stack.yml")["jobs"]
    drift = load("stages-drift.yml")["jobs"]["drift"]
    for job in (jobs["apply"], jobs["reapply"]):
        assert job["concurrency"] == {
            "group": "stages-${{ inputs.stack }}",
            "cancel-in-progress": False,
        }
    assert drift["concurrency"]["group"] == "stages-drift-${{ matrix.stack }}"


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


def recolour(pulumi: PulumiCli) -> None:
    """The change under review: one stage's colour."""
    program = pulumi.project / "__main__.py"
    program.write_text(program.read_text().replace('"#00a3e0"', '"#1abc9c"'))


def stage_ids(emulator: EmulatorServer) -> dict[str, int]:
    state: Any = emulator.service.state  # type: ignore[attr-defined]
    return {s.name: int(s.id) for s in state.listing()}


@pytest.fixture(scope="module")
def module_token() -> str:
    """One token for the module's account: the saved stack holds it as a secret."""
    return f"tok-{secrets.token_hex(12)}"


@pytest.fixture(scope="module")
def account(module_token: str) -> Iterator[EmulatorServer]:
    """One Outreach emulator for the module (its URL is in the saved stack's config); each
    test starts from the account the saved start holds."""
    with EmulatorServer(OutreachService(token=module_token)) as server:
        yield server


@pytest.fixture(scope="module")
def reviewed_start(
    tmp_path_factory: pytest.TempPathFactory,
    pulumi_home: Path,
    account: EmulatorServer,
    module_token: str,
) -> SavedStart:
    """An applied stack, then a colour change previewed as CI does, the plan in plan.json: run
    by the engine once per module (worker), saved for each test to restore."""
    tmp_path = tmp_path_factory.mktemp("reviewed")
    pulumi = PulumiCli(tmp_path, pulumi_home, EXAMPLE)
    pulumi.init_stack("dev", account, module_token)
    pulumi("up", "--yes", "--skip-preview")
    recolour(pulumi)
    preview = pulumi("preview", "--diff", "--refresh", "--save-plan", str(tmp_path / "plan.json"))
    assert re.search(r'~ color +: "#00a3e0" => "#1abc9c"', preview), preview
    return SavedStart.save(pulumi, account, tmp_path_factory.mktemp("reviewed-saved") / "copy")


@pytest.fixture
def reviewed(reviewed_start: SavedStart) -> PulumiCli:
    """The reviewed start restored (plan.json beside project and state), its account in the
    module's emulator."""
    return reviewed_start.restore()


def plan(pulumi: PulumiCli) -> str:
    """The reviewed plan's path."""
    return str(pulumi.project.parent / "plan.json")


@pytest.mark.e2e
def test_a_saved_plan_is_applied_exactly(reviewed: PulumiCli, account: EmulatorServer) -> None:
    outreach = account
    outreach.log.reset()
    applied = reviewed("up", "--yes", "--refresh", "--plan", plan(reviewed))
    contacted = stage_ids(outreach)["Contacted"]
    body = {"data": {"type": "stage", "id": contacted, "attributes": {"color": "#1abc9c"}}}
    assert [(w.method, w.path, w.body) for w in outreach.log.writes()] == [
        ("PATCH", f"/api/v2/stages/{contacted}", body)
    ]
    assert "1 updated" in applied
    reviewed("preview", "--expect-no-changes")


@pytest.mark.e2e
def test_an_account_changed_after_the_preview_stops_the_apply_before_any_write(
    reviewed: PulumiCli, account: EmulatorServer, module_token: str
) -> None:
    outreach, token = account, module_token
    renamed = stage_ids(outreach)["New"]
    body = {"data": {"type": "stage", "id": renamed, "attributes": {"name": "Fresh"}}}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    assert httpx.patch(f"{outreach.base_url}/stages/{renamed}", json=body, headers=headers)
    outreach.log.reset()

    done = reviewed.run("up", "--yes", "--refresh", "--plan", plan(reviewed))

    print(done.stdout[-1500:])
    assert done.returncode != 0
    assert "sales/outreach/New violates plan: properties changed: =~name[{New}]" in done.stdout
    assert outreach.log.writes() == []  # the planned PATCH did not go either
    again = reviewed("preview", "--diff", "--refresh")  # what to do: preview again
    assert re.search(r'~ name +: "Fresh" => "New"', again), again
