"""The provider package door through Pulumi YAML: examples/yaml run by the real engine against
the Outreach emulator, step by step, making the same requests as the Python door's twin of it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_stages.core.listing import DIRECT_READS
from pulumi_stages.emulator import EmulatorServer, OutreachService
from pulumi_stages.emulator.hubspot import HubSpotService
from tests.engine import ROOT, PulumiCli
from tests.stack_setup import init_stack
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e

YAML_EXAMPLE = ROOT / "examples" / "yaml"
PYTHON_TWIN = ROOT / "tests" / "projects" / "yaml_twin"


def names_and_colors(emulator: EmulatorServer) -> list[tuple[str, str | None]]:
    state = emulator.service.state  # type: ignore[attr-defined]
    return [
        (s.name, s.color)
        for s in sorted(state.listing(), key=lambda s: (s.order is None, s.order or 0, s.id))
    ]


def package_project(tmp_path: Path, home: Path, emulator: EmulatorServer, token: str) -> PulumiCli:
    """examples/yaml with a stack whose crmstages config points at the emulator."""
    tmp_path.mkdir()
    pulumi = PulumiCli(tmp_path, home, YAML_EXAMPLE)
    init_stack(
        pulumi,
        "dev",
        {"crmstages:outreachBaseUrl": emulator.base_url},
        {"crmstages:outreachAccessToken": token},
    )
    return pulumi


def python_project(tmp_path: Path, home: Path, emulator: EmulatorServer, token: str) -> PulumiCli:
    """The same declaration through the dynamic providers (the same stages.yaml)."""
    tmp_path.mkdir()
    pulumi = PulumiCli(tmp_path, home, PYTHON_TWIN)
    shutil.copy(YAML_EXAMPLE / "stages.yaml", pulumi.project / "stages.yaml")
    pulumi.init_stack("dev", emulator, token)
    return pulumi


Step = tuple[str, Callable[[PulumiCli], str]]


def recolor_and_add(pulumi: PulumiCli) -> str:
    """The change step: one stage recoloured, one added at the end."""
    path = pulumi.project / "stages.yaml"
    text = path.read_text().replace('"#00a3e0"', '"#ff0000"')
    path.write_text(text + '    - name: Churned\n      color: "#000000"\n')
    return pulumi("up", "--yes", "--skip-preview")


ORDER_DEPENDENT_READS = {"change": 1, "refresh": DIRECT_READS}
"""Steps whose reads (not writes) depend on the order the engine reaches the set's resources,
and the most stages each may read by id: a changed stage's diff reads it unless this run's
listing is already in the account context (once per process: `confirm_readable`), and a
refresh reads its first DIRECT_READS stages by id unless the ordering resource's read, which
lists the account, comes first."""
LISTING, BY_ID = "GET /api/v2/stages", "GET /api/v2/stages/{id}"

STEPS: list[Step] = [
    ("preview", lambda p: p("preview", "--diff")),
    ("up", lambda p: p("up", "--yes", "--skip-preview")),
    ("no-op preview", lambda p: p("preview", "--expect-no-changes")),
    ("change", recolor_and_add),
    ("no-op preview after the change", lambda p: p("preview", "--expect-no-changes")),
    ("refresh", lambda p: p("refresh", "--yes", "--skip-preview")),
    ("destroy", lambda p: p("destroy", "--yes", "--skip-preview")),
]


SET = [
    ("New", "#9e9e9e"),
    ("Contacted", "#00a3e0"),
    ("Meeting Booked", "#5951ff"),
    ("Customer", "#2ecc71"),
]
LOST = ("Closed Lost", "#9e9e9e")


def run_steps(pulumi: PulumiCli, emulator: EmulatorServer) -> dict[str, dict[str, int]]:
    """Each step's requests to the emulator, by step; what the account holds is checked after
    the up, the change and the destroy."""
    counts: dict[str, dict[str, int]] = {}
    held: dict[str, list[tuple[str, str | None]]] = {}
    for name, step in STEPS:
        emulator.log.reset()
        step(pulumi)
        counts[name] = emulator.log.counts()
        held[name] = names_and_colors(emulator)
    assert [s for s in held["up"] if s != LOST] == SET
    assert LOST in held["up"]
    changed = [("Contacted", "#ff0000") if s[0] == "Contacted" else s for s in SET]
    assert [s for s in held["change"] if s != LOST] == [*changed, ("Churned", "#000000")]
    assert held["destroy"] == []
    return counts


def test_the_yaml_example_runs_every_step_with_the_python_doors_requests(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    with (
        EmulatorServer(OutreachService(token=token)) as for_yaml,
        EmulatorServer(OutreachService(token=token)) as for_python,
    ):
        yaml_door = package_project(tmp_path / "yaml", pulumi_home, for_yaml, token)
        python_door = python_project(tmp_path / "python", pulumi_home, for_python, token)
        through_package = run_steps(yaml_door, for_yaml)
        through_python = run_steps(python_door, for_python)
    assert through_package["up"]["POST /api/v2/stages"] == 5
    assert through_package["no-op preview"] == {}
    writes = ("POST", "PATCH", "DELETE")
    changed = {k: v for k, v in through_package["change"].items() if k.startswith(writes)}
    assert changed == {"PATCH /api/v2/stages/{id}": 1, "POST /api/v2/stages": 1}  # recolour, add
    for step, counts in through_package.items():
        expected = through_python[step]
        if step not in ORDER_DEPENDENT_READS:
            assert counts == expected, step
            continue
        # Writes must be equal; reads may differ between the doors and between runs, within
        # one listing (the duplicate guard's, or the order's) and the step's direct reads.
        assert {k: v for k, v in counts.items() if k.startswith(writes)} == {
            k: v for k, v in expected.items() if k.startswith(writes)
        }, step
        for door in (counts, expected):
            reads = {k: v for k, v in door.items() if not k.startswith(writes)}
            assert set(reads) <= {LISTING, BY_ID}, (step, door)
            assert reads.get(LISTING) == 1, (step, door)
            assert reads.get(BY_ID, 0) <= ORDER_DEPENDENT_READS[step], (step, door)
    transcript = "\n".join(yaml_door.transcript)
    assert "crmstages:index:StageSet" in transcript
    assert "crmstages:outreach:StageOrder" in transcript
    assert token not in transcript


def test_errors_through_the_package_are_one_line_naming_its_own_config_keys(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    with EmulatorServer(OutreachService(token=token)) as outreach:
        pulumi = package_project(tmp_path / "yaml", pulumi_home, outreach, "tok-wrong")
        refused = pulumi.run("preview")
        path = pulumi.project / "stages.yaml"
        path.write_text(path.read_text().replace("- name: Contacted", "- name: ''"))
        pulumi("config", "set", "--secret", "crmstages:outreachAccessToken", stdin=f"{token}\n")
        invalid = pulumi.run("preview")
        assert outreach.log.writes() == []
    wrong_token = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "check crmstages:outreachAccessToken (or OUTREACH_ACCESS_TOKEN)" in wrong_token
    assert "Unexpected <class" not in wrong_token
    assert "Traceback" not in wrong_token
    bad_file = invalid.stdout + invalid.stderr
    line = "has a problem: stages.yaml:6: outreach.stages[1].name: must not be blank"
    assert invalid.returncode != 0
    assert bad_file.split("Diagnostics:", 1)[-1].count(line) == 1
    assert "Traceback" not in bad_file
    assert 'File "' not in bad_file


MANY = 16
"""More stages than asyncio's default executor has threads (min(32, cores + 4)) on a machine of
up to 11 cores: a construct registering them must not starve the calls that create them."""


def test_a_stage_set_declared_inline_with_many_stages_goes_up_in_one_run(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    stages = [{"name": f"Stage {i}"} for i in range(MANY)]
    program = {
        "name": "many",
        "runtime": "yaml",
        "resources": {
            "sales": {
                "type": "crmstages:index:StageSet",
                "properties": {"spec": {"outreach": {"stages": stages}}},
            }
        },
    }
    (source / "Pulumi.yaml").write_text(yaml.safe_dump(program))
    with EmulatorServer(OutreachService(token=token)) as outreach:
        pulumi = PulumiCli(tmp_path, pulumi_home, source)
        pulumi("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)
        pulumi.env.update(OUTREACH_BASE_URL=outreach.base_url, OUTREACH_ACCESS_TOKEN=token)
        up = subprocess.run(
            pulumi.command("up", "--yes", "--skip-preview"),
            env=pulumi.env,
            capture_output=True,
            text=True,
            timeout=300,  # a starved construct never returns
            check=False,
        )
        assert up.returncode == 0, up.stdout + up.stderr
        assert outreach.log.counts()["POST /api/v2/stages"] == MANY
        assert [name for name, _ in names_and_colors(outreach)] == [s["name"] for s in stages]
        pulumi("preview", "--expect-no-changes")
        pulumi("destroy", "--yes", "--skip-preview")


def test_the_hubspot_example_stage_set_goes_through_the_package(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Deal and ticket pipelines from one stages.yaml: each pipeline reaches its own object
    type (the object type picks the provider, and a set's pipeline carries it)."""
    source = tmp_path / "source"
    source.mkdir()
    program = {
        "name": "hubspot-package",
        "runtime": "yaml",
        "resources": {
            "crm": {"type": "crmstages:index:StageSet", "properties": {"path": "stages.yaml"}}
        },
    }
    (source / "Pulumi.yaml").write_text(yaml.safe_dump(program))
    shutil.copy(ROOT / "examples" / "hubspot" / "stages.yaml", source / "stages.yaml")
    with EmulatorServer(HubSpotService(token=token)) as hubspot:
        pulumi = PulumiCli(tmp_path, pulumi_home, source)
        pulumi("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)
        pulumi.env.update(HUBSPOT_BASE_URL=hubspot.base_url, HUBSPOT_ACCESS_TOKEN=token)
        pulumi("up", "--yes", "--skip-preview")
        made = hubspot.service.state.made_pipelines()  # type: ignore[attr-defined]
        assert sorted((p.object_type, p.label) for p in made.values()) == [
            ("deals", "New Business"),
            ("tickets", "Support"),
        ]
        hubspot.log.reset()
        pulumi("preview", "--expect-no-changes")
        assert hubspot.log.writes() == []
        pulumi("destroy", "--yes", "--skip-preview")
        assert hubspot.service.state.made_pipelines() == {}  # type: ignore[attr-defined]
