"""A change to a Capsule board never strands its stages: a replaced board takes its stages
along, a board archived by hand shows as drift and is restored, and adopting a board whose
description differs takes it as it is (Capsule cannot edit a board)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator.capsule import CapsuleService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.saved_start import SavedStart, module_start

pytestmark = pytest.mark.e2e


def pipeline(description: str, adopt: bool = False) -> dict[str, Any]:
    stages = [{"name": n} for n in ("Brief", "Build", "Done")]
    board = {"name": "Delivery", "description": description, "stages": stages}
    return {"capsule": {"adopt": adopt, "boards": [board]}}


def use(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("pipeline", spec) and None


def create_delivery(stack: StackHarness) -> None:
    use(stack, pipeline("Text"))
    stack.up()


@pytest.fixture(scope="module")
def delivery_created(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    """The Delivery board and its three stages created by one `up`, once per module."""
    yield from module_start(
        tmp_path_factory, pulumi_home, CapsuleService, "capsule", setup=create_delivery
    )


@pytest.fixture(scope="module")
def empty_start(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    yield from module_start(tmp_path_factory, pulumi_home, CapsuleService, "capsule")


@pytest.fixture
def created(delivery_created: SavedStart) -> Iterator[StackHarness]:
    """The stack and account as the `up` of `pipeline("Text")` left them."""
    with delivery_created.restored() as harness:
        yield harness


@pytest.fixture
def stack(empty_start: SavedStart) -> Iterator[StackHarness]:
    """A new stack (no `up` yet) over an empty account."""
    with empty_start.restored() as harness:
        yield harness


def live(stack: StackHarness) -> dict[str, list[str]]:
    """Active boards by name with their stages in order (archived boards left out)."""
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    return {
        b.name: [s.name for s in state.stages_of(b.id, False)]
        for b in state.boards.values()
        if not b.archived
    }


def test_a_replaced_board_takes_its_stages_along(stack: StackHarness) -> None:
    use(stack, pipeline("Old text"))
    stack.up()
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    [old] = state.boards.values()

    use(stack, pipeline("New text"))  # Capsule cannot edit a board: a replace
    preview = stack.preview().change_summary
    assert preview.get("replace") == 4  # the board and its three stages
    stack.up()

    assert live(stack) == {"Delivery": ["Brief", "Build", "Done"]}
    new = [b for b in state.boards.values() if not b.archived]
    assert [b.description for b in new] == ["New text"] and old.archived
    assert state.stages_of(old.id, False) == []  # nothing left behind on the archived board
    stack.assert_no_changes()


def test_a_board_archived_by_hand_is_drift_and_the_next_up_restores_it(
    created: StackHarness,
) -> None:
    stack = created
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    [board] = state.boards.values()
    board.archived = True  # as the Capsule UI's archive does

    stack.refresh()
    [outputs] = stack.state_outputs("Board").values()
    assert outputs["archived"] is True  # refresh saw it
    assert stack.preview().change_summary.get("update") == 1  # and the next up restores it
    stack.up()
    assert [(w.method, w.route) for w in stack.emulator.log.writes()] == [
        ("POST", "/api/v2/boards/{id}/restore")
    ]
    assert not board.archived and live(stack) == {"Delivery": ["Brief", "Build", "Done"]}
    stack.assert_no_changes()


def test_adopting_a_board_whose_description_differs_takes_it_as_it_is(
    stack: StackHarness,
) -> None:
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    board = state.create_board("Delivery", "Hand-made")
    use(stack, pipeline("Declared", adopt=True))
    stack.preview()
    assert "cannot be changed in place" in "\n".join(stack.output)
    stack.up()
    assert [b.id for b in state.boards.values()] == [board.id]  # adopted, not duplicated
    assert board.description == "Hand-made"
    assert not [w for w in stack.emulator.log.writes() if "/boards" in w.route]
    assert live(stack) == {"Delivery": ["Brief", "Build", "Done"]}
    # What the declaration still asks (a new description) is a replace, shown plainly.
    assert stack.preview().change_summary.get("replace") == 4


def test_a_keyed_board_rename_is_a_replace_refused_while_its_stages_hold_projects(
    created: StackHarness,
) -> None:
    """Capsule cannot edit a board: renamed with its old name as `key`, the board is one
    resource replaced (its stages along), refused at preview while a stage holds projects, as a
    description change is; without the key the old board went without a diff."""
    stack = created
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    [old] = state.boards.values()
    build = next(s for s in state.stages_of(old.id, False) if s.name == "Build")
    stack.emulator.service.put_records(str(build.id), 2)  # type: ignore[attr-defined]
    renamed = pipeline("Text")
    renamed["capsule"]["boards"][0].update(name="Delivery 2026", key="Delivery")
    use(stack, renamed)
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as refused:
            run()
        text = str(refused.value)
        assert "changing the name of board 'Delivery'" in text
        assert f"stage 'Build' (id {build.id}) holds 2 projects" in text
        assert stack.emulator.log.writes() == []
    assert live(stack) == {"Delivery": ["Brief", "Build", "Done"]}

    stack.emulator.service.state.projects.clear()  # type: ignore[attr-defined]
    summary = stack.preview().change_summary
    assert {getattr(k, "value", str(k)): v for k, v in summary.items() if v}.get("replace") == 4
    stack.up()
    assert live(stack) == {"Delivery 2026": ["Brief", "Build", "Done"]}
    assert old.archived and state.stages_of(old.id, False) == []
    stack.assert_no_changes()
