"""A StageSet of Capsule boards through the real engine: boards by name, per-board order,
and the account guard that stops a stack pointed at the wrong site before any write."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import CapsuleService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.module_stack import (
    SharedStack,
    Start,
    fresh_stack_fixture,
    shared_stack_fixture,
)

pytestmark = pytest.mark.e2e

PIPELINE: dict[str, Any] = {
    "capsule": {
        "boards": [
            {"name": "Sales", "stages": [{"name": n} for n in ("Brief", "Proposal", "Won")]},
            {
                "name": "Delivery",
                "description": "After the sale",
                "stages": [{"name": "Kick-off", "description": "Meet"}, {"name": "Done"}],
            },
        ]
    }
}


shared = shared_stack_fixture(lambda t: CapsuleService(token=t, site="acme-staging"), "capsule")

sets = fresh_stack_fixture()


@pytest.fixture(scope="module")
def applied(shared: SharedStack) -> Start:
    """PIPELINE's two boards and five stages, made by one `up` from empty."""
    harness = shared.fresh()
    use(harness, PIPELINE)
    harness.up()
    return shared.save("applied")


def use(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("pipeline", spec) and None


def board_order(stack: StackHarness, board: str) -> list[str]:
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    [board_id] = [b.id for b in state.boards.values() if b.name == board]
    return [s.name for s in state.stages_of(board_id, False)]


def test_boards_and_stages_then_a_reorder_on_one_board(shared: SharedStack, applied: Start) -> None:
    counts = applied.counts()
    assert counts["POST /api/v2/boards"] == 2
    assert counts["POST /api/v2/stages"] == 5
    assert len(applied.writes()) == 7
    sets = shared.restore(applied)
    use(sets, PIPELINE)
    assert board_order(sets, "Sales") == ["Brief", "Proposal", "Won"]
    assert board_order(sets, "Delivery") == ["Kick-off", "Done"]
    sets.assert_no_changes()

    sales = PIPELINE["capsule"]["boards"][0]["stages"]
    reordered = {
        "capsule": {
            "boards": [
                {**PIPELINE["capsule"]["boards"][0], "stages": sales[::-1]},
                PIPELINE["capsule"]["boards"][1],
            ]
        }
    }
    use(sets, reordered)
    sets.up()
    writes = sets.emulator.log.writes()
    assert [(w.method, w.route) for w in writes] == [("PUT", "/api/v2/stages/{id}")] * 2
    assert all(set(w.body["stage"]) == {"displayOrder"} for w in writes)
    assert board_order(sets, "Sales") == ["Won", "Proposal", "Brief"]
    sets.assert_no_changes()


def test_a_reorder_made_by_hand_shows_in_refresh_and_up_puts_it_back(
    shared: SharedStack, applied: Start
) -> None:
    sets = shared.restore(applied)
    use(sets, PIPELINE)
    state = sets.emulator.service.state  # type: ignore[attr-defined]
    brief = next(s for s in state.stages.values() if s.name == "Brief")
    brief.display_order = 999
    sets.refresh()
    assert sets.emulator.log.writes() == []
    preview = sets.preview()
    assert preview.change_summary.get(auto.OpType.UPDATE) == 1
    sets.up()
    assert len(sets.emulator.log.writes()) == 1
    assert board_order(sets, "Sales") == ["Brief", "Proposal", "Won"]
    sets.assert_no_changes()


def test_wrong_account_fails_the_preview_before_any_write(sets: StackHarness) -> None:
    use(sets, PIPELINE)
    sets.stack.set_config("capsule:expectedAccount", auto.ConfigValue("acme-prod"))
    with pytest.raises(auto.CommandError) as caught:
        sets.preview()
    message = str(caught.value)
    assert "wrong Capsule account: the token belongs to 'acme-staging' but " in message
    assert "capsule:expectedAccount is 'acme-prod'" in message
    assert sets.emulator.log.writes() == []
    with pytest.raises(auto.CommandError):
        sets.up()
    assert sets.emulator.log.writes() == []

    sets.stack.set_config("capsule:expectedAccount", auto.ConfigValue("acme-staging"))
    sets.up()
    assert sets.emulator.log.counts()["GET /api/v2/site"] == 1
    assert len(sets.emulator.log.writes()) == 7

    # an up that would only delete (the whole Sales board removed) is stopped as well
    sets.stack.set_config("capsule:expectedAccount", auto.ConfigValue("acme-prod"))
    use(sets, {"capsule": {"boards": [PIPELINE["capsule"]["boards"][1]]}})
    with pytest.raises(auto.CommandError, match="wrong Capsule account"):
        sets.up()
    assert sets.emulator.log.writes() == []
    assert len(sets.emulator.service.state.stages) == 5  # type: ignore[attr-defined]


def test_preview_says_which_board_adopt_takes_and_ignores_archived_ones(sets: StackHarness) -> None:
    state = sets.emulator.service.state  # type: ignore[attr-defined]
    state.create_board("Sales").archived = True
    active = state.create_board("Sales")
    adopted = {"capsule": {"adopt": True, "boards": [PIPELINE["capsule"]["boards"][0]]}}
    use(sets, adopted)
    sets.output.clear()
    sets.preview()
    shown = "".join(sets.output)
    assert f'"existing board {active.id}; no differences"' in shown
    assert sets.emulator.log.writes() == []
    sets.up()
    assert sets.emulator.log.counts()["POST /api/v2/boards"] == 0
    assert sets.state_outputs("Board")["pipeline/capsule/Sales"]["board_id"] == str(active.id)
