"""A pipeline whose one POST HubSpot committed while the run died before the answer: the next
`up` recovers the pipeline from this stack's create journal and hands the stages that POST
seeded over to the stage resources, as the answered POST does (no refusal, no duplicate)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.hubspot import DealStage, Pipeline
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e

PIPELINES = "/crm/pipelines/2026-09/deals"
DECLARED = [("Lead", 10, 0.1), ("Demo", 20, 0.4)]
SEED = [{"name": n, "display_order": o, "probability": p} for n, o, p in DECLARED]


@pytest.fixture
def stack(tmp_path: Path, pulumi_home: Path, token: str) -> Iterator[StackHarness]:
    with EmulatorServer(HubSpotService(token=token)) as server:
        harness = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="hubspot")
        yield harness
        harness.remove()


def program() -> None:
    sales = Pipeline("sales", name="Sales", seed=SEED)
    for name, order, probability in DECLARED:
        DealStage(
            name.lower(),
            name=name,
            pipeline="Sales",
            pipeline_id=sales.pipeline_id,
            probability=probability,
            display_order=order,
        )


def test_a_pipeline_committed_by_a_dead_run_hands_its_seeded_stages_over(
    stack: StackHarness,
) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    stack.program = program
    # The POST commits and its answer is lost; every lookup that could find the pipeline in the
    # same run fails too: the run ends with the pipeline made and never recorded, as a kill does.
    # The lookups fail only once the POST is in: the check before it reads the account (a
    # preview fails where the up would), so failing them earlier would stop the run before it.
    stack.emulator.faults.add(
        Fault(FaultKind.COMMIT_THEN_DROP, method="POST", path=PIPELINES, count=1)
    )
    state: Any = service.state
    create_pipeline = state.create_pipeline

    def create_then_fail_lookups(*args: Any, **kwargs: Any) -> Any:
        made = create_pipeline(*args, **kwargs)
        stack.emulator.faults.add(
            Fault(FaultKind.STATUS, method="GET", path=PIPELINES, status=400, count=50)
        )
        return made

    state.create_pipeline = create_then_fail_lookups
    with pytest.raises(auto.CommandError):
        stack.up()
    stack.emulator.faults.clear()
    assert [n for n, _ in service.live_stages()] == ["Lead", "Demo"]
    assert stack.state_outputs("DealStage") == {}

    stack.up()  # no adopt: the journal's unanswered intent explains the pipeline
    assert sorted(n for n, _ in service.live_stages()) == ["Demo", "Lead"]
    assert len(service.state.made_pipelines()) == 1
    assert sorted(o["name"] for o in stack.state_outputs("DealStage").values()) == [
        "Demo",
        "Lead",
    ]
    stack.assert_no_changes()
