"""A third CRM added without touching the package: `tests/tinycrm` registers an adapter and an
emulator, and a stage set in it runs through the real engine, the schema and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_stages import emulator as emulators
from pulumi_stages.cli import main
from pulumi_stages.core import registry
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.stageset import StageSet, json_schema_text
from tests.engine import ROOT, StackHarness
from tests.tinycrm import TinyService
from tests.tinycrm import register as register_tiny

pytestmark = pytest.mark.e2e


@pytest.fixture
def tiny(token: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """Tiny registered (and unregistered afterwards), its emulator serving; the provider
    process finds `tests.tinycrm` on PYTHONPATH, as a plugin package would be installed."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    register_tiny()
    emulators.register_service(TinyService)
    try:
        with EmulatorServer(TinyService(token=token)) as server:
            yield server
    finally:
        registry.unregister("tinycrm")


def test_a_stage_set_in_a_third_crm_runs_through_the_engine(
    tiny: EmulatorServer, tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    stack = StackHarness.create(tmp_path, pulumi_home, tiny, token, namespace="tinycrm")
    names = ["Idea", "Doing", "Done"]
    stack.program = lambda: StageSet("board", {"tinycrm": {"stages": [{"name": n} for n in names]}})

    stack.up()
    # One listing of the (empty) account guards against duplicates; the order reuses it.
    assert stack.emulator.log.counts() == {"POST /v1/columns": 3, "GET /v1/columns": 1}
    live = dict(tiny.service.live_stages())
    state = {out["name"]: id_ for id_, out in _columns(stack).items()}
    assert state == live and all(id_.startswith("col-") for id_ in live.values())
    stack.assert_no_changes()

    names.insert(0, names.pop())  # Done moves first: one write, no renumbering
    stack.up()
    writes = stack.emulator.log.writes()
    assert [(w.method, w.body) for w in writes] == [("PATCH", {"position": 4})]
    stack.assert_no_changes()
    stack.destroy()
    assert tiny.service.live_stages() == []


def _columns(stack: StackHarness) -> dict[str, dict[str, object]]:
    deployment = stack.stack.export_stack().deployment or {}
    return {
        r["id"]: r["outputs"]
        for r in deployment.get("resources", [])
        if r["type"].endswith("tinycrm:Column")
    }


def test_the_schema_and_the_cli_pick_up_a_third_crm(
    tiny: EmulatorServer, token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = json.loads(json_schema_text())
    assert "tinycrm" in schema["properties"]
    tiny.service.state.create("Later", 20)
    tiny.service.state.create("Now", 10)
    out = tmp_path / "stages.yaml"
    code = main(
        ["export", "tinycrm", "--base-url", tiny.base_url, "--token", token, "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    assert "- name: Now\n  - name: Later" in out.read_text()
