"""The fault matrix for Capsule through the real engine: the shared core's retries, budget and
create recovery hold for a second API with PUT, Link paging and no Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pulumi_stages.emulator.faults import Fault, FaultKind
from tests.engine import CapsuleStage, Pipeline, StackHarness

pytestmark = pytest.mark.e2e

FAULTS = {
    "500x2": lambda method: Fault(FaultKind.STATUS, count=2, status=500, method=method),
    "429x2": lambda method: Fault(FaultKind.STATUS, count=2, status=429, method=method),
    "drop": lambda method: Fault(FaultKind.DROP, method=method),
    "commit-then-drop": lambda method: Fault(FaultKind.COMMIT_THEN_DROP, method=method),
}


def add_stage(stack: StackHarness, pipeline: Pipeline) -> None:
    pipeline.stages.append(CapsuleStage("s4", "Archived", "Projects", None, 5))
    stack.up()


def rename_stage(stack: StackHarness, pipeline: Pipeline) -> None:
    pipeline.stages[1].name = "Doing"
    stack.up()


def remove_stage(stack: StackHarness, pipeline: Pipeline) -> None:
    pipeline.stages.pop(2)
    stack.up()


OPERATIONS: dict[str, tuple[str, Callable[[StackHarness, Pipeline], object]]] = {
    "create": ("POST", add_stage),
    "update": ("PUT", rename_stage),
    "delete": ("DELETE", remove_stage),
    "refresh": ("GET", lambda stack, _: stack.refresh()),
}


@pytest.mark.parametrize("fault_name", FAULTS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_capsule_operation_converges_under_fault(
    pipeline_stack: tuple[StackHarness, Pipeline], operation: str, fault_name: str
) -> None:
    stack, pipeline = pipeline_stack
    stack.up()
    method, run = OPERATIONS[operation]
    stack.emulator.faults.add(FAULTS[fault_name](method))

    run(stack, pipeline)

    assert stack.emulator.faults.pending() == 0, "the fault was never hit"
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    held = sorted(s.name for s in state.stages.values())
    assert held == sorted(s.name for s in pipeline.stages), "duplicate or lost stage"
    print(f"\ncapsule {operation:8} {fault_name:17} {dict(stack.emulator.log.counts())}")
    stack.assert_no_changes()
