"""`pulumi-stages export` then `adopt: true`: a live account becomes a stage set with no writes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from pulumi_stages.cli import main
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.api import LISTING_PAGE_SIZE
from pulumi_stages.stageset import StageSet, load_file
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e

COLORS = ["#5951FF", "#00a3e0", "#e0a300", "#ff0000"]


def seed_outreach(emulator: EmulatorServer, count: int) -> None:
    """Stages made by hand over the years: orders with irregular gaps, mixed-case colours."""
    state = emulator.service.state  # type: ignore[attr-defined]
    for n in range(count):
        attributes = {"name": f"Step {n:02d}", "order": 3 * n + 1, "color": COLORS[n % 4]}
        state.create(attributes)


def point_at(
    api: str, emulator: EmulatorServer, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment variables `pulumi-stages export` reads, aimed at the emulator."""
    monkeypatch.setenv(f"{api.upper()}_ACCESS_TOKEN", token)
    monkeypatch.setenv(f"{api.upper()}_BASE_URL", emulator.base_url)


def export(
    api: str, emulator: EmulatorServer, token: str, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(api, emulator, token, monkeypatch)
    emulator.log.reset()
    assert main(["export", api, "-o", str(out)]) == 0


def test_export_forty_then_adopt_makes_no_writes(
    stack: StackHarness,
    tmp_path: Path,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_outreach(stack.emulator, 40)
    out = tmp_path / "stages.yaml"
    export("outreach", stack.emulator, token, out, monkeypatch)
    assert stack.emulator.log.counts() == {"GET /api/v2/stages": 1}
    assert "Wrote 40 Outreach stages" in capsys.readouterr().err
    data = yaml.safe_load(out.read_text())
    assert data["outreach"]["adopt"] is True
    assert data["outreach"]["stages"][0] == {"name": "Step 00", "color": "#5951ff"}
    assert [s["name"] for s in data["outreach"]["stages"]] == [f"Step {n:02d}" for n in range(40)]

    stack.program = lambda: StageSet.from_file("sales", out) and None
    stack.up()
    counts = stack.emulator.log.counts()
    print(f"adopt 40 exported stages: {dict(counts)}")
    assert stack.emulator.log.writes() == []
    assert counts["POST /api/v2/stages"] == 0
    stack.assert_no_changes()


def test_adopt_sends_only_what_the_file_changes(
    stack: StackHarness, tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_outreach(stack.emulator, 5)
    out = tmp_path / "stages.yaml"
    export("outreach", stack.emulator, token, out, monkeypatch)
    text = out.read_text().replace("'#00a3e0'", "'#123456'").replace("Step 04", "Step 04b")
    out.write_text(text)
    stack.program = lambda: StageSet.from_file("sales", out) and None
    stack.up()
    writes = stack.emulator.log.writes()
    assert sorted((w.method, str(w.body["data"]["attributes"])) for w in writes) == [
        ("PATCH", "{'color': '#123456'}"),
        ("POST", "{'name': 'Step 04b', 'color': '#5951ff', 'order': 50}"),
    ]
    stack.assert_no_changes()


def test_export_capsule_boards_round_trip(
    capsule: EmulatorServer, tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = capsule.service.state  # type: ignore[attr-defined]
    sales = state.create_board("Sales", "New business")
    state.create_board("Empty")
    for n, name in enumerate(["Brief", "Proposal", "Won"]):
        body = {"name": name, "board": sales.id, "displayOrder": 5 - n}
        state.create_stage(body | ({"description": "Qualify"} if n == 0 else {}))
    out = tmp_path / "stages.yaml"
    export("capsule", capsule, token, out, monkeypatch)
    spec = load_file(out)
    assert spec.capsule is not None and spec.capsule.adopt
    [board, empty] = spec.capsule.boards
    assert (board.name, board.description, empty.name, empty.stages) == (
        "Sales",
        "New business",
        "Empty",
        [],
    )
    assert [(s.name, s.description) for s in board.stages] == [
        ("Won", None),
        ("Proposal", None),
        ("Brief", "Qualify"),
    ]


def test_export_of_a_large_account_shows_progress(
    outreach: EmulatorServer,
    tmp_path: Path,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stages = 2 * LISTING_PAGE_SIZE + 1
    seed_outreach(outreach, stages)
    export("outreach", outreach, token, tmp_path / "stages.yaml", monkeypatch)
    err = capsys.readouterr().err
    assert "read 100 stages" in err and f"read {stages // 100 * 100} stages" in err
    assert f"Wrote {stages} Outreach stages" in err
    assert outreach.log.counts() == {"GET /api/v2/stages": math.ceil(stages / LISTING_PAGE_SIZE)}


def test_export_with_a_bad_token_is_one_line(
    outreach: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    export_args = ["export", "outreach", "--base-url", outreach.base_url, "--token", "wrong"]
    monkeypatch.delenv("OUTREACH_ACCESS_TOKEN", raising=False)
    assert main([*export_args, "-o", str(tmp_path / "s.yaml")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: Outreach rejected GET /stages: ")
    assert "wrong" not in err[-1]
    assert not (tmp_path / "s.yaml").exists()


def test_export_refuses_names_a_set_cannot_hold_and_never_overwrites(
    outreach: EmulatorServer,
    tmp_path: Path,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = outreach.service.state  # type: ignore[attr-defined]
    state.create({"name": "Won", "order": 1})
    state.create({"name": "Won", "order": 2})
    out = tmp_path / "stages.yaml"
    point_at("outreach", outreach, token, monkeypatch)
    assert main(["export", "outreach", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert "stages.yaml:9: outreach.stages[1].name: duplicate stage name 'Won'" in err
    assert not out.exists()

    out.write_text("mine\n")
    outreach.log.reset()
    assert main(["export", "outreach", "-o", str(out)]) == 1
    assert "exists; pass --force" in capsys.readouterr().err
    assert out.read_text() == "mine\n"
    assert outreach.log.count() == 0
