"""A StageSet through the real engine: create, move one of 50, reverse 50, drift of the order.

Each step checks the exact writes it caused and ends with a preview that plans nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.core.placement import plan_moves
from pulumi_stages.emulator import OutreachService
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.outreach.stage import OutreachStageOrderProvider
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.module_stack import fresh_stack_fixture, shared_stack_fixture

pytestmark = pytest.mark.e2e

NAMES = [f"Stage {n:02d}" for n in range(50)]


shared = shared_stack_fixture(lambda t: OutreachService(token=t), "outreach")

stack = fresh_stack_fixture()


def use(stack: StackHarness, names: list[str]) -> None:
    """Make the stack's program a StageSet of Outreach stages named `names`, in that order."""
    spec: dict[str, Any] = {"outreach": {"stages": [{"name": n} for n in names]}}
    stack.program = lambda: StageSet("sales", spec) and None


def live_names(stack: StackHarness) -> list[str]:
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    return [s.name for s in sorted(state.listing(), key=lambda s: s.order)]


def live_stages(stack: StackHarness) -> dict[str, tuple[str, int | None]]:
    """(id, position) of each stage the emulator holds, by name."""
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    return {s.name: (str(s.id), s.order) for s in state.listing()}


def planned(stack: StackHarness, names: list[str]) -> dict[str, int]:
    """{stage id: position} the fewest-writes plan gives for `names` from the live positions."""
    live = live_stages(stack)
    positions = [live[name][1] for name in names]
    moves = plan_moves(positions, OutreachStageOrderProvider.floor)
    return {live[names[index]][0]: position for index, position in moves.items()}


def written(stack: StackHarness) -> dict[str, int]:
    """{stage id: position} of the writes in the emulator's log: each a PATCH of `order` alone
    to one stage, and no stage written twice."""
    writes = stack.emulator.log.writes()
    assert [(w.method, w.route) for w in writes] == [("PATCH", "/api/v2/stages/{id}")] * len(writes)
    sent: dict[str, int] = {}
    for write in writes:
        data = write.body["data"]
        assert data["attributes"].keys() == {"order"}, write.body
        assert write.path == f"/api/v2/stages/{data['id']}"
        sent[str(data["id"])] = data["attributes"]["order"]
    assert len(sent) == len(writes), "a stage was written twice"
    return sent


def test_create_fifty_then_move_one_then_reverse(stack: StackHarness) -> None:
    use(stack, NAMES)
    stack.up()
    assert stack.emulator.log.counts() == {"POST /api/v2/stages": 50, "GET /api/v2/stages": 1}
    assert live_names(stack) == NAMES
    stack.assert_no_changes()

    moved = list(NAMES)
    moved.insert(2, moved.pop(40))
    use(stack, moved)
    stack.output.clear()
    stack.preview()
    shown = "".join(stack.output)
    assert '~ [2]: "Stage 02" => "Stage 40"' in shown  # the reorder reads as a list of names
    assert "1 to update" in shown
    assert stack.emulator.log.writes() == []
    stage_40 = live_stages(stack)["Stage 40"][0]
    assert planned(stack, moved) == {stage_40: 25}  # between Stage 01 (20) and Stage 02 (30)
    stack.up()
    print(f"move 1 of 50: {stack.emulator.log.counts()}")
    assert stack.emulator.log.counts() == {
        "GET /api/v2/stages": 1,  # the live positions, one page
        "PATCH /api/v2/stages/{id}": 1,
    }
    assert written(stack) == {stage_40: 25}
    assert live_names(stack) == moved
    stack.assert_no_changes()
    refreshed = stack.refresh().summary.resource_changes or {}
    assert set(refreshed) == {"same"}, "a move by the set must not read as drift"

    reversed_names = moved[::-1]
    use(stack, reversed_names)
    plan = planned(stack, reversed_names)
    live = live_stages(stack)
    [staying] = [name for name in reversed_names if live[name][0] not in plan]
    # The last stage whose position (50, at index 45) leaves room below for the 45 before it.
    assert (staying, live[staying][1]) == ("Stage 04", 50)
    stack.up()
    print(f"reverse 50: {stack.emulator.log.counts()}")
    assert len(plan) == 49
    assert written(stack) == plan
    assert live_stages(stack)[staying] == live[staying]
    assert live_names(stack) == reversed_names
    stack.assert_no_changes()


def test_a_tie_made_by_hand_is_drift_and_up_breaks_it(stack: StackHarness) -> None:
    use(stack, NAMES[:4])
    stack.up()
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    second, third = sorted(state.listing(), key=lambda s: s.order)[1:3]
    third.order = second.order  # same position: a sort of names cannot show this
    stack.refresh()
    assert stack.preview().change_summary.get(auto.OpType.UPDATE) == 1
    plan = planned(stack, NAMES[:4])
    stack.up()
    assert len(plan) == 1
    assert written(stack) == plan
    assert live_names(stack) == NAMES[:4]
    assert len({s.order for s in state.listing()}) == 4
    stack.assert_no_changes()


def test_a_failed_move_leaves_state_true_and_the_next_up_finishes(stack: StackHarness) -> None:
    use(stack, NAMES[:10])
    stack.up()
    stack.emulator.faults.add(Fault(FaultKind.STATUS, status=422, method="PATCH"))
    reversed_names = NAMES[:10][::-1]
    use(stack, reversed_names)
    before = live_stages(stack)
    first_plan = planned(stack, reversed_names)
    with pytest.raises(auto.CommandError, match="Outreach rejected PATCH"):
        stack.up()
    assert written(stack) == first_plan  # every move was tried: all but the last stage
    assert len(first_plan) == 9
    after = live_stages(stack)
    [refused] = [n for n in reversed_names if before[n][0] in first_plan and after[n] == before[n]]
    plan = planned(stack, reversed_names)
    assert plan == {after[refused][0]: first_plan[after[refused][0]]}  # only the refused one
    stack.up()
    assert written(stack) == plan
    assert live_names(stack) == reversed_names
    stack.assert_no_changes()
