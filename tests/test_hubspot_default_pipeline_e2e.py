"""Every portal's own deal pipeline ([doc] id `default`, labelled in the portal's language) is
taken over by id from a stage set, and renamed in place to the declared label; a stage added to
it is one POST, and nothing of HubSpot's own is made twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e

DEFAULTS = [
    ("Appointment Scheduled", 0.2),
    ("Qualified To Buy", 0.4),
    ("Presentation Scheduled", 0.6),
    ("Decision Maker Bought-In", 0.8),
    ("Contract Sent", 0.9),
    ("Closed Won", 1.0),
    ("Closed Lost", 0.0),
]


@pytest.fixture
def stack(tmp_path: Path, pulumi_home: Path, token: str) -> Iterator[StackHarness]:
    with EmulatorServer(HubSpotService(token=token)) as server:
        harness = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="hubspot")
        yield harness
        harness.remove()


def test_the_default_pipeline_is_taken_over_by_id_whatever_its_label(
    stack: StackHarness,
) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    service.state.update_pipeline("deals", "default", {"label": "Pipeline de ventas"})
    stages: list[dict[str, Any]] = [{"name": n, "probability": p} for n, p in DEFAULTS]
    stages.insert(5, {"name": "Negotiation", "probability": 0.95})
    pipeline = {"name": "Sales", "id": "default", "stages": stages}
    stack.program = lambda: StageSet("pipeline", {"hubspot": {"deals": [pipeline]}}) and None
    stack.up()
    writes = [(w.method, w.route.rsplit("/", 2)[-2:], w.body) for w in stack.emulator.log.writes()]
    print(f"\ntake over 'default' and add a stage: {writes}")
    assert [(m, b) for m, _, b in writes if m == "PATCH" and "label" in (b or {})] == [
        ("PATCH", {"label": "Sales"})
    ]
    posts = [b for m, _, b in writes if m == "POST"]
    assert [b["label"] for b in posts] == ["Negotiation"]  # no pipeline, no default stage again
    assert service.state.pipelines["default"].label == "Sales"
    assert [s.label for s in service.state.pipelines["default"].ordered()] == [
        s["name"] for s in stages
    ]
    assert service.state.made_pipelines() == {}
    (outs,) = stack.state_outputs("Pipeline").values()
    assert outs["pipeline_id"] == "default"
    stack.assert_no_changes()


def test_the_default_pipeline_adopted_by_id_with_no_stages_is_only_relabelled(
    stack: StackHarness,
) -> None:
    """`adopt` with `id` and no stages: the pipeline is found by id whatever its label (the
    create that an unmatched label would fall back to never happens), the preview says which
    one and what changes, and the `up` renames it in place and leaves its stages as they are."""
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    service.state.update_pipeline("deals", "default", {"label": "Pipeline de ventas"})
    pipeline = {"name": "Sales", "id": "default", "adopt": True, "stages": []}
    stack.program = lambda: StageSet("pipeline", {"hubspot": {"deals": [pipeline]}}) and None
    preview = stack.preview()
    assert "existing pipeline default; differs in name 'Pipeline de ventas' => 'Sales'" in (
        preview.stdout
    )
    stack.up()
    writes = [(w.method, w.body) for w in stack.emulator.log.writes()]
    assert writes == [("PATCH", {"label": "Sales"})]
    assert service.state.pipelines["default"].label == "Sales"
    kept = [s.label for s in service.state.pipelines["default"].ordered()]
    assert kept == [n for n, _ in DEFAULTS]
    stack.assert_no_changes()
