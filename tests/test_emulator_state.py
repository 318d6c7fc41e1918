"""Each CRM's account state without HTTP: the rules, the id sequences, the live stages."""

from __future__ import annotations

import pytest

from pulumi_stages.emulator.capsule import CapsuleError, CapsuleState, StageStatus
from pulumi_stages.emulator.outreach import Cursors, JsonApiError, OutreachOptions, OutreachState
from pulumi_stages.emulator.outreach.query import parse_listing, select


def test_outreach_live_stages_list_every_stage_duplicates_included() -> None:
    state = OutreachState()
    first = state.create({"name": "Lead"})
    won = state.create({"name": "Won"})
    again = state.create({"name": "Lead"})
    assert state.live_stages() == [
        ("Lead", str(first.id)),
        ("Won", str(won.id)),
        ("Lead", str(again.id)),
    ]
    state.delete(again.id)
    assert state.live_stages() == [("Lead", str(first.id)), ("Won", str(won.id))]


def test_outreach_stage_rules_are_checked_in_the_state() -> None:
    state = OutreachState()
    with pytest.raises(JsonApiError) as blank:
        state.create({"name": "  "})
    assert (blank.value.status, blank.value.body["detail"]) == (422, "Name can't be blank.")
    with pytest.raises(JsonApiError) as order:
        state.create({"name": "Lead", "order": "3"})
    assert order.value.body["source"] == {"pointer": "/data/attributes/order"}


def test_outreach_records_who_created_and_updated_a_stage() -> None:
    state = OutreachState()
    stage = state.create({"name": "Lead"}, user_id=7)
    state.update(stage.id, {"color": "#000000"}, user_id=8)
    assert (stage.creator_id, stage.updater_id) == (7, 8)


def test_outreach_listing_pages_are_computed_without_http() -> None:
    state, cursors = OutreachState(), Cursors()
    for i in range(5):
        state.create({"name": f"S{i}", "order": 10 * (5 - i)})
    query = parse_listing([("sort", "order"), ("page[size]", "2")], OutreachOptions(), cursors)
    page = select(state.listing(), query, None)
    assert [s.name for s in page.stages] == ["S4", "S3"]
    assert page.next_key == [20, 4] and page.prev_key is None
    after = cursors.make(query.sort_text, page.next_key)
    following = parse_listing(
        [("sort", "order"), ("page[size]", "2"), ("page[after]", after)], OutreachOptions(), cursors
    )
    assert [s.name for s in select(state.listing(), following, None).stages] == ["S2", "S1"]


def test_capsule_boards_and_stages_count_ids_separately() -> None:
    state = CapsuleState()
    board = state.create_board("Projects")
    stage = state.create_stage({"name": "Brief", "board": board.id})
    assert board.id == stage.id == 1  # as in a real account, where the sequences are apart
    assert state.board(1) is board and state.stage(1) is stage
    with pytest.raises(CapsuleError) as missing:
        state.create_stage({"name": "Review", "board": 2})  # no board 2, only a stage
    assert missing.value.status == 404


def test_capsule_live_stages_skip_archived_stages_and_archived_boards() -> None:
    state = CapsuleState()
    projects, sales = state.create_board("Projects"), state.create_board("Sales")
    brief = state.create_stage({"name": "Brief", "board": projects.id})
    old = state.create_stage({"name": "Old", "board": projects.id})
    state.create_stage({"name": "Lead", "board": sales.id})
    later_brief = state.create_stage({"name": "Brief", "board": projects.id})
    state.archive_stage(old.id)
    state.archive_board(sales.id)
    assert state.live_stages() == [("Brief", str(brief.id)), ("Brief", str(later_brief.id))]
    assert [s.name for s in state.stages_of(None, StageStatus.ARCHIVED)] == ["Old"]


def test_capsule_state_from_the_one_sequence_format_still_loads() -> None:
    state = CapsuleState()
    state.import_state({"next_id": 9, "boards": [], "stages": []})
    assert (state.next_board_id, state.next_stage_id) == (9, 9)
