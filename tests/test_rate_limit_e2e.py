"""An `up` of 30 stages against a small rate budget and a 429 burst: absorbed, no duplicates."""

from __future__ import annotations

import pytest

from pulumi_stages.emulator.faults import Fault, FaultKind
from tests.engine import Declared, StackHarness

pytestmark = pytest.mark.e2e

STAGES = 30
BUDGET = 10
WINDOW_SECONDS = 2.0


def test_up_of_30_stages_stays_within_the_budget_and_absorbs_a_429_burst(
    stack: StackHarness,
) -> None:
    stack.emulator.budget.configure(limit=BUDGET, window_seconds=WINDOW_SECONDS)
    stack.emulator.faults.add(Fault(FaultKind.STATUS, count=5, status=429, method="POST"))
    stack.declared = [Declared(f"s{i}", f"Stage {i}", "#5951ff", i) for i in range(STAGES)]

    stack.up()

    names = sorted(s.name for s in stack.emulator.service.state.listing())  # type: ignore[attr-defined]
    assert names == sorted(f"Stage {i}" for i in range(STAGES))
    posts = stack.emulator.log.count("POST")
    refused = stack.emulator.budget.refused
    print(
        f"\n30-stage up: {posts} POSTs (5 answered by the injected 429 burst), "
        f"{refused} refused by the budget of {BUDGET} per {WINDOW_SECONDS}s"
    )
    assert posts == STAGES + 5
    assert refused == 0, "the provider should wait for the window, not exceed the budget"
    stack.emulator.budget.configure(limit=10_000, window_seconds=3600)
    stack.assert_no_changes()
