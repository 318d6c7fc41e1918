"""Outreach stages through the real Pulumi engine, as acceptance steps.

Every step applies a change to the program (or to the account, by hand) and checks the exact API
calls it caused and what the emulator holds; then `assert_no_changes` previews again and requires
an empty plan with no writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer, OutreachService
from tests.engine import Declared, StackHarness, stages
from tests.new_stack import PROJECT
from tests.saved_start import SavedStart, saved_start
from tests.snapshot import file_backend_deployment

pytestmark = pytest.mark.e2e


def create_three(stack: StackHarness) -> None:
    stack.declared = stages("Lead", "Qualified", "Won")
    stack.up()


@pytest.fixture(scope="module")
def three_created(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    """Three stages created by one `up`, once per module: the test below proves that `up`,
    the others start from what it left."""
    folder = tmp_path_factory.mktemp("three-created")
    with saved_start(folder, pulumi_home, OutreachService, setup=create_three) as start:
        yield start


@pytest.fixture
def stack(three_created: SavedStart) -> Iterator[StackHarness]:
    """The stack and account as the first `up` of three stages left them."""
    with three_created.restored() as harness:
        yield harness


@pytest.fixture(scope="module")
def empty_start(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    with saved_start(tmp_path_factory.mktemp("empty"), pulumi_home, OutreachService) as start:
        yield start


@pytest.fixture
def empty_stack(empty_start: SavedStart) -> Iterator[StackHarness]:
    """A new stack (no `up` yet) over an empty account."""
    with empty_start.restored() as harness:
        yield harness


def held(emulator: EmulatorServer) -> list[tuple[str, str | None, int | None]]:
    """(name, color, order) of every stage the emulator holds, by order."""
    return sorted(
        ((s.name, s.color, s.order) for s in emulator.service.state.listing()),  # type: ignore[attr-defined]
        key=lambda row: (row[2] or 0, row[0]),
    )


def test_create_three_then_second_up_makes_no_writes(
    three_created: SavedStart, stack: StackHarness
) -> None:
    # The first `up` is the module's (`create_three`); `stack` is what it left.
    # One listing read (no stage may duplicate a name the account holds), then the POSTs.
    assert three_created.first.log.counts() == {"POST /api/v2/stages": 3, "GET /api/v2/stages": 1}
    assert held(stack.emulator) == [
        ("Lead", "#5951ff", 10),
        ("Qualified", "#5951ff", 20),
        ("Won", "#5951ff", 30),
    ]
    result = stack.up()
    assert result.summary.resource_changes == {"same": 4}
    assert stack.emulator.log.writes() == []
    assert stack.emulator.log.count() == 0
    stack.assert_no_changes()


def test_create_keeps_the_post_response_as_state(
    three_created: SavedStart, stack: StackHarness
) -> None:
    # The state and account the module's first `up` (three creates) left.
    state = stack.state_outputs()
    listing = stack.emulator.service.state.listing()  # type: ignore[attr-defined]
    for declared in stack.declared:
        outputs = state[declared.key]
        [stored] = [s for s in listing if s.name == declared.name]
        assert outputs["stage_id"] == stored.id
        assert outputs["created_at"] == stored.created_at
        assert outputs["updated_at"] == stored.updated_at
    assert "GET /api/v2/stages/{id}" not in three_created.first.log.counts()  # no read-back
    # the suite reads state from the backend folder; it is what `pulumi stack export` prints
    exported = json.loads(stack.exported_text())["deployment"]
    assert stack.backend is not None
    assert file_backend_deployment(stack.backend, PROJECT, stack.stack.name) == exported
    assert len(exported["resources"]) == 5  # the stack, the provider and three stages


def test_color_change_sends_one_patch_with_only_color(stack: StackHarness) -> None:
    stack.declared[1].color = "#00a3e0"
    stack.up()
    writes = stack.emulator.log.writes()
    assert [(w.method, w.route) for w in writes] == [("PATCH", "/api/v2/stages/{id}")]
    assert writes[0].body["data"]["attributes"] == {"color": "#00a3e0"}
    assert ("Qualified", "#00a3e0", 20) in held(stack.emulator)
    stack.assert_no_changes()


def test_rename_and_reorder_update_in_place(stack: StackHarness) -> None:
    ids_before = {k: v["stage_id"] for k, v in stack.state_outputs().items()}

    stack.declared[0].name = "New Lead"
    stack.up()
    assert [w.body["data"]["attributes"] for w in stack.emulator.log.writes()] == [
        {"name": "New Lead"}
    ]
    stack.assert_no_changes()

    stack.declared[0].order, stack.declared[2].order = 30, 10
    stack.up()
    bodies = sorted(
        (w.method, w.body["data"]["attributes"]["order"]) for w in stack.emulator.log.writes()
    )
    assert bodies == [("PATCH", 10), ("PATCH", 30)]
    assert held(stack.emulator) == [
        ("Won", "#5951ff", 10),
        ("Qualified", "#5951ff", 20),
        ("New Lead", "#5951ff", 30),
    ]
    assert {k: v["stage_id"] for k, v in stack.state_outputs().items()} == ids_before
    stack.assert_no_changes()


def test_removed_stage_is_deleted_with_one_delete(stack: StackHarness) -> None:
    stack.declared = [d for d in stack.declared if d.name != "Qualified"]
    stack.up()
    # One count of the stage's prospects (a stage holding any is never deleted), one DELETE.
    assert stack.emulator.log.counts() == {
        "GET /api/v2/prospects": 1,
        "DELETE /api/v2/stages/{id}": 1,
    }
    assert [row[0] for row in held(stack.emulator)] == ["Lead", "Won"]
    stack.assert_no_changes()


def test_hand_deleted_stage_is_dropped_by_refresh_and_recreated(stack: StackHarness) -> None:
    gone = stack.state_outputs()["stage-1"]["stage_id"]
    stack.emulator.service.state.delete(gone)  # type: ignore[attr-defined]

    stack.refresh()
    assert "stage-1" not in stack.state_outputs()
    assert stack.emulator.log.writes() == []

    stack.up()
    assert stack.emulator.log.counts() == {"POST /api/v2/stages": 1, "GET /api/v2/stages": 1}
    assert [row[0] for row in held(stack.emulator)] == ["Lead", "Qualified", "Won"]
    assert stack.state_outputs()["stage-1"]["stage_id"] != gone
    stack.assert_no_changes()


def test_hand_renamed_stage_is_seen_by_refresh_and_put_back(stack: StackHarness) -> None:
    stage_id = stack.state_outputs()["stage-2"]["stage_id"]
    stack.emulator.service.state.update(stage_id, {"name": "Closed (edited by hand)"})  # type: ignore[attr-defined]

    stack.refresh()
    assert stack.state_outputs()["stage-2"]["name"] == "Closed (edited by hand)"
    preview = stack.preview()
    assert preview.change_summary.get(auto.OpType.UPDATE) == 1

    stack.up()
    writes = stack.emulator.log.writes()
    assert [(w.method, w.path, w.body["data"]["attributes"]) for w in writes] == [
        ("PATCH", f"/api/v2/stages/{stage_id}", {"name": "Won"})
    ]
    assert [row[0] for row in held(stack.emulator)] == ["Lead", "Qualified", "Won"]
    stack.assert_no_changes()


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (Declared("stage-0", "Lead", color="red"), "color", "must be a hex colour"),
        (Declared("stage-0", "   "), "name", "must not be blank"),
        (Declared("stage-0", "x" * 256), "name", "must be at most 255 characters"),
        (Declared("stage-0", "Lead", order=-1), "order", "must be 0 or more"),
    ],
)
def test_invalid_input_fails_preview_naming_the_field_before_any_write(
    empty_stack: StackHarness, bad: Declared, field: str, reason: str
) -> None:
    stack = empty_stack
    stack.declared = [bad, Declared("stage-1", "Fine", "#5951ff", 20)]
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert f"{field}: {reason}" in str(failure.value)
    # Nothing is written. The valid sibling's check may read the listing (the duplicate-name
    # guard) before the engine stops on the invalid one; the invalid one calls nothing.
    assert stack.emulator.log.writes() == []
    assert set(stack.emulator.log.counts()) <= {"GET /api/v2/stages"}


def test_destroy_leaves_no_stages(stack: StackHarness) -> None:
    stack.destroy()
    assert stack.emulator.log.counts() == {
        "GET /api/v2/prospects": 3,
        "DELETE /api/v2/stages/{id}": 3,
    }
    assert held(stack.emulator) == []


def test_destroy_of_a_stage_already_deleted_by_hand_succeeds(stack: StackHarness) -> None:
    stack.emulator.service.state.delete(stack.state_outputs()["stage-0"]["stage_id"])  # type: ignore[attr-defined]
    stack.destroy()
    assert stack.emulator.log.count("DELETE") == 3  # one per stage, the one gone by hand too
    assert held(stack.emulator) == []
    assert stack.state_outputs() == {}
