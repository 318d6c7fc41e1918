"""A refresh writes back as inputs only the fields a stage declares: a colour set by hand on a
stage that declares none shows in its outputs (drift), never in its inputs, so the next `up`
plans nothing and rewrites no stage (it rewrote every one, one checkpoint each: 236 s against
23 s at 1,000 stages). A declared field changed by hand is still put back, and an input the API
does not hold (the position a stage set owns) stays as the program declared it."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.stageset import StageSet
from tests.engine import Declared, StackHarness

pytestmark = pytest.mark.e2e

HAND_COLOR = "#2ecc71"
DECLARED_COLOR = "#5951ff"


def state_inputs(
    stack: StackHarness, kind: str | None = "outreach:Stage"
) -> dict[str, dict[str, Any]]:
    """Inputs of each resource of a kind (type suffix; None for every resource but providers)
    in the exported state, by name."""
    deployment = stack.stack.export_stack().deployment or {}
    return {
        r["urn"].rsplit("::", 1)[-1]: r.get("inputs", {})
        for r in deployment.get("resources", [])
        if (kind is None or r["type"].endswith(kind))
        and not r["type"].startswith("pulumi:providers:")
    }


def paint_by_hand(stack: StackHarness, key: str, color: str) -> None:
    stage_id = stack.state_outputs()[key]["stage_id"]
    stack.emulator.service.state.update(stage_id, {"color": color})  # type: ignore[attr-defined]


def changes(result: auto.UpResult) -> dict[str, int]:
    return {str(op): n for op, n in (result.summary.resource_changes or {}).items() if n}


def test_a_colour_set_by_hand_on_a_stage_that_declares_none_stays_out_of_its_inputs(
    stack: StackHarness,
) -> None:
    stack.declared = [Declared(f"s{i}", f"Stage {i}") for i in range(3)]
    stack.up()
    for key in ("s0", "s1", "s2"):
        paint_by_hand(stack, key, HAND_COLOR)
    stack.refresh()
    refreshed = state_inputs(stack)
    assert all(stack.state_outputs()[k]["color"] == HAND_COLOR for k in refreshed)  # drift shows

    preview = stack.preview()
    planned = {op: n for op, n in preview.change_summary.items() if op != "same" and n}
    up = stack.up()
    requests = dict(stack.emulator.log.counts())
    rewritten = [k for k, v in state_inputs(stack).items() if v != refreshed[k]]
    print(
        f"\npreview after refresh planned {planned}; up after refresh: requests {requests}, "
        f"steps {changes(up)}, stage inputs the up rewrote {rewritten}"
    )
    assert planned == {}
    assert requests == {}
    assert changes(up) == {"same": 4}
    assert rewritten == [], f"the up rewrote the inputs of {rewritten}"
    assert {k: v.get("color") for k, v in refreshed.items()} == dict.fromkeys(refreshed)


def test_a_declared_colour_changed_by_hand_is_put_back_after_a_refresh(
    stack: StackHarness,
) -> None:
    stack.declared = [Declared(f"s{i}", f"Stage {i}", DECLARED_COLOR) for i in range(2)]
    stack.up()
    paint_by_hand(stack, "s1", HAND_COLOR)
    stack.refresh()
    assert stack.state_outputs()["s1"]["color"] == HAND_COLOR
    assert state_inputs(stack)["s1"]["color"] == HAND_COLOR  # the preview shows it going back

    up = stack.up()
    assert stack.emulator.log.writes() != []
    assert stack.emulator.log.count("PATCH") == 1
    assert changes(up) == {"same": 2, "update": 1}
    assert stack.state_outputs()["s1"]["color"] == DECLARED_COLOR
    stack.assert_no_changes()


def test_a_refresh_with_no_drift_leaves_a_stage_sets_inputs_as_they_were(
    stack: StackHarness,
) -> None:
    """A set's stages keep their position (the set's to own, so read never sets it) among their
    inputs: a refresh that dropped it rewrote every stage after every refresh, and the next `up`
    wrote each one back, one checkpoint per stage."""
    stages = [{"name": f"Stage {i}"} for i in range(3)]
    stack.program = lambda: StageSet("pipeline", {"outreach": {"stages": stages}})
    stack.up()
    before = state_inputs(stack, None)
    assert sorted(v.get("order") for v in state_inputs(stack).values()) == [10, 20, 30], before

    stack.refresh()
    changed = [k for k, v in state_inputs(stack, None).items() if v != before.get(k)]
    assert changed == [], f"the refresh rewrote the inputs of {changed}"
    up = stack.up()
    assert changes(up) == {"same": len(before)}
    assert state_inputs(stack, None) == before
