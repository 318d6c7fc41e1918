"""HubSpot moves records in batches and says plainly what it refuses, through the real engine:
a retired stage's deals go 100 per batch update ([doc] batch endpoints take 100 inputs); a
validation rule that refuses a move ([doc] changelog August 2026: rules apply to every CRM write
from 2026-09) stops the `up` naming the deal and the rule, deletes nothing, and the next `up`
after the fix finishes; a workflow that references a stage ([doc] changelog 2026-09: such a
delete is blocked) gets a refusal that names it, and the stage stays in state.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.module_stack import SharedStack, Start, shared_stack_fixture

pytestmark = pytest.mark.e2e

BATCH = "POST /crm/objects/2026-03/{objectType}/batch/update"
RECORD_PATCH = "PATCH /crm/objects/2026-03/{objectType}/{recordId}"
STAGE_DELETE = "DELETE /crm/pipelines/2026-09/{objectType}/{pipelineId}/stages/{stageId}"


shared = shared_stack_fixture(lambda t: HubSpotService(token=t), "hubspot")


@pytest.fixture(scope="module")
def three_deal_stages(shared: SharedStack) -> Start:
    """The start of every test here: a deal pipeline of Lead, Demo, Won, made by `up`."""
    harness = shared.fresh()
    use(harness, ["Lead", "Demo", "Won"])
    harness.up()
    return shared.save("three-deal-stages")


@pytest.fixture
def stack(shared: SharedStack, three_deal_stages: Start) -> StackHarness:
    """The module's stack after the `up` of Lead, Demo, Won (restored, no engine run)."""
    harness = shared.restore(three_deal_stages)
    use(harness, ["Lead", "Demo", "Won"])
    return harness


def test_the_saved_start_of_three_deal_stages_is_what_an_up_from_empty_makes(
    shared: SharedStack, three_deal_stages: Start
) -> None:
    """The start every test here restores was made by an `up` that did its usual requests."""
    pipelines = "/crm/pipelines/2026-09/{objectType}"
    assert three_deal_stages.counts() == {f"GET {pipelines}": 2, f"POST {pipelines}": 1}
    stack = shared.restore(three_deal_stages)
    assert [n for n, _ in service_of(stack).live_stages()] == ["Lead", "Demo", "Won"]


def service_of(stack: StackHarness) -> HubSpotService:
    return stack.emulator.service  # type: ignore[return-value]


def use(stack: StackHarness, names: list[str], retired: list[dict[str, Any]] | None = None) -> None:
    stages = [{"name": n, "probability": 1.0 if n == "Won" else 0.5} for n in names]
    pipeline: dict[str, Any] = {"name": "Sales", "stages": stages}
    if retired:
        pipeline["retired"] = retired
    stack.program = lambda: StageSet("pipeline", {"hubspot": {"deals": [pipeline]}}) and None


def ids(stack: StackHarness) -> dict[str, str]:
    return dict(service_of(stack).live_stages())


def test_a_retired_stage_of_250_deals_moves_them_in_3_batch_updates(stack: StackHarness) -> None:
    demo, won = ids(stack)["Demo"], ids(stack)["Won"]
    service_of(stack).put_records(demo, 250)
    stack.emulator.log.reset()
    use(stack, ["Lead", "Won"], [{"name": "Demo", "moved_to": "Won"}])
    stack.up()
    counts = stack.emulator.log.counts()
    print(f"\nretire a stage of 250 deals: {dict(counts)}")
    assert counts[BATCH] == 3 and counts[RECORD_PATCH] == 0
    assert [len(w.body["inputs"]) for w in stack.emulator.log.writes() if w.key == BATCH] == [
        100,
        100,
        50,
    ]
    assert service_of(stack).records_in(won) == 250 and "Demo" not in ids(stack)
    stack.assert_no_changes()


def test_a_validation_rule_stops_the_move_naming_deal_and_rule_then_resumes_after_the_fix(
    stack: StackHarness,
) -> None:
    service = service_of(stack)
    demo, won = ids(stack)["Demo"], ids(stack)["Won"]
    ready, bare = service.put_records(demo, 2)
    service.state.update_record("deals", ready, {"amount": "1200"})
    service.state.rules["Won deals need an amount"] = {"stage": won, "property": "amount"}
    stack.emulator.log.reset()
    use(stack, ["Lead", "Won"], [{"name": "Demo", "moved_to": "Won"}])
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    text = str(refused.value)
    assert "HubSpot refused to move 1 of 2 deals to stage" in text
    assert f"deal {bare}:" in text and "Won deals need an amount" in text
    assert "Nothing was deleted" in text
    assert stack.emulator.log.counts()[STAGE_DELETE] == 0
    assert ids(stack)["Demo"] == demo and service.records_in(demo) == 1
    assert service.records_in(won) == 1  # the deal the rule allowed moved

    del service.state.rules["Won deals need an amount"]  # the admin's fix
    stack.up()
    assert service.records_in(won) == 2 and "Demo" not in ids(stack)
    stack.assert_no_changes()


def test_a_stage_a_workflow_references_is_refused_naming_the_workflow_and_kept(
    stack: StackHarness,
) -> None:
    demo = ids(stack)["Demo"]
    service_of(stack).state.workflows[demo] = "Nurture demos"
    use(stack, ["Lead", "Won"])
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    text = str(refused.value)
    assert f"HubSpot refused to delete stage 'Demo' (id {demo}): a workflow references it" in text
    assert "Nurture demos" in text
    assert ids(stack)["Demo"] == demo
    assert "Demo" in [o["name"] for o in stack.state_outputs("DealStage").values()]

    del service_of(stack).state.workflows[demo]
    stack.up()
    assert "Demo" not in ids(stack)
    stack.assert_no_changes()
