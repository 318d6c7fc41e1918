"""A StageSet through the real engine: create, move one of 50, reverse 50, drift of the order.

Each step checks the exact writes it caused and ends with a preview that plans nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e

NAMES = [f"Stage {n:02d}" for n in range(50)]


def use(stack: StackHarness, names: list[str]) -> None:
    """Make the stack's program a StageSet of Outreach stages named `names`, in that order."""
    spec: dict[str, Any] = {"outreach": {"stages": [{"name": n} for n in names]}}
    stack.program = lambda: StageSet("sales", spec) and None


def live_names(stack: StackHarness) -> list[str]:
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    return [s.name for s in sorted(state.listing(), key=lambda s: s.order)]


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
    stack.up()
    writes = stack.emulator.log.writes()
    print(f"move 1 of 50: {stack.emulator.log.counts()}")
    assert len(writes) <= 2
    assert [w.method for w in writes] == ["PATCH"]
    assert live_names(stack) == moved
    stack.assert_no_changes()
    refreshed = stack.refresh().summary.resource_changes or {}
    assert set(refreshed) == {"same"}, "a move by the set must not read as drift"

    reversed_names = moved[::-1]
    use(stack, reversed_names)
    stack.up()
    print(f"reverse 50: {stack.emulator.log.counts()}")
    assert {w.method for w in stack.emulator.log.writes()} == {"PATCH"}
    assert len(stack.emulator.log.writes()) == 49
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
    stack.up()
    assert len(stack.emulator.log.writes()) == 1
    assert live_names(stack) == NAMES[:4]
    assert len({s.order for s in state.listing()}) == 4
    stack.assert_no_changes()


def test_a_failed_move_leaves_state_true_and_the_next_up_finishes(stack: StackHarness) -> None:
    use(stack, NAMES[:10])
    stack.up()
    stack.emulator.faults.add(Fault(FaultKind.STATUS, status=422, method="PATCH"))
    use(stack, NAMES[:10][::-1])
    with pytest.raises(auto.CommandError, match="Outreach rejected PATCH"):
        stack.up()
    assert len(stack.emulator.log.writes()) == 9  # every move was tried; one was refused
    stack.up()
    assert 1 <= len(stack.emulator.log.writes()) <= 2
    assert live_names(stack) == NAMES[:10][::-1]
    stack.assert_no_changes()
