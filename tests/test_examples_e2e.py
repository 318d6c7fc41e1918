"""The examples as users run them: plain `pulumi` commands. The promotion walkthrough runs once,
on PostgreSQL (tests/test_postgres_state_e2e.py): that run checks every step's requests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pulumi_stages.emulator import EmulatorServer
from tests.engine import ROOT, PulumiCli

pytestmark = pytest.mark.e2e

EXAMPLES = ROOT / "examples"


def names_by_order(emulator: EmulatorServer) -> list[str]:
    state = emulator.service.state  # type: ignore[attr-defined]
    return [s.name for s in sorted(state.listing(), key=lambda s: s.order)]


def test_outreach_example_declared_in_python(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, EXAMPLES / "outreach")
    pulumi.init_stack("dev", outreach, token)
    pulumi("up", "--yes", "--skip-preview")
    assert outreach.log.counts() == {"POST /api/v2/stages": 5, "GET /api/v2/stages": 1}
    assert names_by_order(outreach) == [
        "New",
        "Contacted",
        "Meeting Booked",
        "Open Opportunity",
        "Customer",
    ]
    outreach.log.reset()
    pulumi("preview", "--expect-no-changes")
    assert outreach.log.count() == 0


def test_capsule_example_declared_in_yaml(
    tmp_path: Path, pulumi_home: Path, capsule: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, EXAMPLES / "capsule")
    pulumi.init_stack("dev", capsule, token, "capsule")
    pulumi("up", "--yes", "--skip-preview")
    counts = capsule.log.counts()
    assert (counts["POST /api/v2/boards"], counts["POST /api/v2/stages"]) == (2, 7)
    state = capsule.service.state  # type: ignore[attr-defined]
    [board] = [b for b in state.boards.values() if b.name == "Client Projects"]
    assert [s.name for s in state.stages_of(board.id, False)] == [
        "Project Brief",
        "In Progress",
        "Client Review",
        "Done",
    ]
    capsule.log.reset()
    pulumi("preview", "--expect-no-changes")
    assert capsule.log.writes() == []


def test_a_bad_stages_yaml_fails_the_preview_naming_file_line_and_field(
    tmp_path: Path, pulumi_home: Path, capsule: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, EXAMPLES / "capsule")
    pulumi.init_stack("dev", capsule, token, "capsule")
    path = pulumi.project / "stages.yaml"
    path.write_text(path.read_text().replace("- name: Account Setup", "- name: ''"))
    done = pulumi.run("preview")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    line = "stages.yaml:16: capsule.boards[Onboarding].stages[1].name: must not be blank"
    assert output.split("Diagnostics:", 1)[-1].count(line) == 1  # printed once
    assert "Traceback" not in output
    assert capsule.log.count() == 0


def load_walkthrough() -> ModuleType:
    path = EXAMPLES / "promotion" / "walkthrough.py"
    spec = importlib.util.spec_from_file_location("walkthrough", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["walkthrough"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def writes(counts: dict[str, int]) -> dict[str, int]:
    return {key: n for key, n in counts.items() if not key.startswith("GET")}
