"""The fault matrix through the real engine.

Every injected fault x (create, update, delete, refresh) converges to the declaration with no
duplicate and nothing lost, and a preview afterwards plans nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pulumi_stages.emulator.faults import Fault, FaultKind
from tests.engine import StackHarness, stages

pytestmark = pytest.mark.e2e

FAULTS = {
    "500x2": lambda method: Fault(FaultKind.STATUS, count=2, status=500, method=method),
    "503-retry-after": lambda method: Fault(
        FaultKind.STATUS, count=1, status=503, retry_after=1, method=method
    ),
    "429x2": lambda method: Fault(FaultKind.STATUS, count=2, status=429, method=method),
    "drop": lambda method: Fault(FaultKind.DROP, method=method),
    "commit-then-drop": lambda method: Fault(FaultKind.COMMIT_THEN_DROP, method=method),
}
"""No latency row: a delay shorter than the client's 30 s read timeout is served normally and
proves nothing, and one longer would cost minutes per row (the timeout is not configurable)."""


def rename_second(stack: StackHarness) -> None:
    stack.declared[1].name = "Qualified (renamed)"
    stack.up()


def remove_second(stack: StackHarness) -> None:
    stack.declared = [stack.declared[0], stack.declared[2]]
    stack.up()


def add_fourth(stack: StackHarness) -> None:
    stack.declared = stages("Lead", "Qualified", "Won", "Lost")
    stack.up()


OPERATIONS: dict[str, tuple[str, Callable[[StackHarness], object]]] = {
    "create": ("POST", add_fourth),
    "update": ("PATCH", rename_second),
    "delete": ("DELETE", remove_second),
    "refresh": ("GET", lambda stack: stack.refresh()),
}


@pytest.mark.parametrize("fault_name", FAULTS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_converges_under_fault(
    stack: StackHarness, operation: str, fault_name: str
) -> None:
    stack.declared = stages("Lead", "Qualified", "Won")
    stack.up()
    method, run = OPERATIONS[operation]
    fault = FAULTS[fault_name](method)
    stack.emulator.faults.add(fault)

    run(stack)

    assert stack.emulator.faults.pending() == 0, "the fault was never hit"
    held = sorted(s.name for s in stack.emulator.service.state.listing())  # type: ignore[attr-defined]
    assert held == sorted(d.name for d in stack.declared), "duplicate or lost stage"
    state_ids = sorted(o["stage_id"] for o in stack.state_outputs().values())
    assert state_ids == sorted(s.id for s in stack.emulator.service.state.listing())  # type: ignore[attr-defined]
    print(f"\n{operation:8} {fault_name:17} {dict(stack.emulator.log.counts())}")
    stack.assert_no_changes()
