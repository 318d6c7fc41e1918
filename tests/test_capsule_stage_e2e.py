"""Capsule boards and stages through the real engine, as acceptance steps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from pulumi_stages.capsule import Board, Stage
from pulumi_stages.emulator import CapsuleService, EmulatorServer
from tests.engine import CapsuleStage, Pipeline, StackHarness, four_stages
from tests.saved_start import SavedStart, saved_start

pytestmark = pytest.mark.e2e


def create_board_and_four(stack: StackHarness) -> None:
    stack.program = Pipeline(stages=four_stages()).program
    stack.up()


@pytest.fixture(scope="module")
def four_created(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    """The Projects board and its four stages created by one `up`, once per module: the first
    test proves that `up`, the tests taking `created` start from what it left."""
    folder = tmp_path_factory.mktemp("four-created")
    with saved_start(
        folder, pulumi_home, CapsuleService, "capsule", setup=create_board_and_four
    ) as start:
        yield start


@pytest.fixture
def created(four_created: SavedStart) -> Iterator[tuple[StackHarness, Pipeline]]:
    """The stack and account as that `up` left them, with the pipeline it declared."""
    with four_created.restored() as harness:
        pipeline = Pipeline(stages=four_stages())
        harness.program = pipeline.program
        yield harness, pipeline


@pytest.fixture(scope="module")
def empty_start(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    folder = tmp_path_factory.mktemp("empty")
    with saved_start(folder, pulumi_home, CapsuleService, "capsule") as start:
        yield start


@pytest.fixture
def pipeline_stack(empty_start: SavedStart) -> Iterator[tuple[StackHarness, Pipeline]]:
    """A new stack (no `up` yet) over an empty account, declaring the four stages' pipeline
    (as conftest's fixture of this name, without a `stack init` of its own)."""
    with empty_start.restored() as harness:
        pipeline = Pipeline(stages=four_stages())
        harness.program = pipeline.program
        yield harness, pipeline


def held(emulator: EmulatorServer) -> list[tuple[str, str, int]]:
    state = emulator.service.state  # type: ignore[attr-defined]
    return [
        (s.name, state.boards[s.board_id].name, s.display_order)
        for s in state.stages_of(None, True)
    ]


def test_board_with_four_stages_then_no_op_up(
    four_created: SavedStart, created: tuple[StackHarness, Pipeline]
) -> None:
    stack, _ = created
    counts = four_created.first.log.counts()  # the module's `up` (create_board_and_four)
    assert counts["POST /api/v2/boards"] == 1
    assert counts["POST /api/v2/stages"] == 4
    assert held(stack.emulator) == [
        ("Project Brief", "Projects", 1),
        ("In Progress", "Projects", 2),
        ("Review", "Projects", 3),
        ("Done", "Projects", 4),
    ]
    stack.up()
    assert stack.emulator.log.writes() == []
    stack.assert_no_changes()


def test_rename_redescribe_reorder_are_single_puts(
    created: tuple[StackHarness, Pipeline],
) -> None:
    stack, pipeline = created
    pipeline.stages[0].name = "Brief"
    pipeline.stages[1].description = "Work under way"
    pipeline.stages[3].display_order = 9
    stack.up()
    bodies = sorted(str(w.body["stage"]) for w in stack.emulator.log.writes())
    assert [w.method for w in stack.emulator.log.writes()] == ["PUT"] * 3
    assert bodies == sorted(
        [str({"name": "Brief"}), str({"description": "Work under way"}), str({"displayOrder": 9})]
    )
    stack.assert_no_changes()


def test_moving_a_stage_to_another_board_replaces_it(
    pipeline_stack: tuple[StackHarness, Pipeline],
) -> None:
    stack, pipeline = pipeline_stack
    pipeline.boards.append("Sales")
    stack.up()
    old_id = stack.state_outputs()["s2"]["stage_id"]
    pipeline.stages[2].board = "Sales"
    preview = stack.preview()
    assert preview.change_summary.get(auto.OpType.REPLACE) == 1
    stack.up()
    writes = [(w.method, w.route) for w in stack.emulator.log.writes()]
    assert writes == [("POST", "/api/v2/stages"), ("DELETE", "/api/v2/stages/{id}")]
    new = stack.state_outputs()["s2"]
    assert new["stage_id"] != old_id
    assert ("Review", "Sales", 3) in held(stack.emulator)
    stack.assert_no_changes()


def test_delete_refused_while_in_use_then_succeeds(
    created: tuple[StackHarness, Pipeline],
) -> None:
    stack, pipeline = created
    stage_id = stack.state_outputs()["s3"]["stage_id"]
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    state.stages[stage_id].open_projects = 2
    pipeline.stages = pipeline.stages[:3]
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    # The provider counts the open projects first and refuses before Capsule would.
    assert f"(id {stage_id}) holds 2 projects (2 open); nothing was deleted" in str(failure.value)
    assert "DELETE /api/v2/stages/{id}" not in stack.emulator.log.counts()
    assert "s3" in stack.state_outputs()
    for project in state.open_projects_on(int(stage_id)):  # closed ones would lose their stage
        state.delete_project(project.id)
    stack.up()
    assert stack.emulator.log.counts()["DELETE /api/v2/stages/{id}"] == 1
    assert "s3" not in stack.state_outputs()
    stack.assert_no_changes()


def test_hand_deleted_stage_is_recreated(created: tuple[StackHarness, Pipeline]) -> None:
    stack, _ = created
    stage_id = stack.state_outputs()["s1"]["stage_id"]
    del stack.emulator.service.state.stages[stage_id]  # type: ignore[attr-defined]
    stack.refresh()
    stack.up()
    assert stack.emulator.log.counts()["POST /api/v2/stages"] == 1
    assert [row[0] for row in held(stack.emulator)] == [
        "Project Brief",
        "In Progress",
        "Review",
        "Done",
    ]  # recreated with its declared display order
    stack.assert_no_changes()


def test_same_program_in_two_accounts_with_different_board_ids(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    results = []
    for account, offset in (("dev", 0), ("prod", 500)):
        with EmulatorServer(CapsuleService(token=token)) as emulator:
            state = emulator.service.state  # type: ignore[attr-defined]
            state.next_board_id += offset
            state.create_board("Projects")
            work = tmp_path / account
            work.mkdir()
            stack = StackHarness.create(work, pulumi_home, emulator, token, namespace="capsule")
            pipeline = Pipeline(boards=[], stages=four_stages())

            def program(pipeline: Pipeline = pipeline) -> None:
                for stage in pipeline.stages:
                    Stage(
                        stage.key,
                        name=stage.name,
                        board=stage.board,
                        display_order=stage.display_order,
                    )

            stack.program = program
            stack.up()
            board_ids = {o["board_id"] for o in stack.state_outputs().values()}
            results.append((held(emulator), board_ids))
            stack.remove()
    (dev_stages, dev_boards), (prod_stages, prod_boards) = results
    assert dev_stages == prod_stages
    assert dev_boards != prod_boards


def test_refresh_of_120_stages_pages_through_the_listing(
    pipeline_stack: tuple[StackHarness, Pipeline],
) -> None:
    stack, pipeline = pipeline_stack
    pipeline.stages = [CapsuleStage(f"s{i}", f"Stage {i}", "Projects", None, i) for i in range(120)]
    stack.up()
    assert stack.emulator.log.counts()["POST /api/v2/stages"] == 120
    stack.refresh()
    counts = stack.emulator.log.counts()
    print(f"\ncapsule refresh of 120 stages + 1 board: {dict(counts)}")
    assert counts["GET /api/v2/stages"] == 2  # perPage=100: two pages, via the Link header
    assert counts["GET /api/v2/stages/{id}"] <= 2
    assert stack.emulator.log.writes() == []
    assert len(stack.state_outputs()) == 120


def test_adopting_an_existing_board_and_its_stages(
    pipeline_stack: tuple[StackHarness, Pipeline],
) -> None:
    stack, pipeline = pipeline_stack
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    projects = state.create_board("Projects")
    for i, stage in enumerate(pipeline.stages):
        state.create_stage({"name": stage.name, "board": projects.id, "displayOrder": i + 1})

    def adopting() -> None:
        board = Board("board-projects", name="Projects", adopt=True)
        for stage in pipeline.stages:
            Stage(
                stage.key,
                name=stage.name,
                board=board.name,
                adopt=True,
                display_order=stage.display_order,
                description="Kick-off" if stage.key == "s0" else None,
            )

    stack.program = adopting
    stack.up()
    writes = stack.emulator.log.writes()
    assert [(w.method, w.body) for w in writes] == [("PUT", {"stage": {"description": "Kick-off"}})]
    assert len(state.stages) == 4 and len(state.boards) == 1
    stack.assert_no_changes()


def test_capsule_budget_is_waited_out_using_the_reset_time(
    pipeline_stack: tuple[StackHarness, Pipeline],
) -> None:
    stack, pipeline = pipeline_stack
    stack.emulator.budget.configure(limit=10, window_seconds=2.0)
    pipeline.stages = [CapsuleStage(f"s{i}", f"Stage {i}", "Projects", None, i) for i in range(30)]
    stack.up()
    assert len(stack.emulator.service.state.stages) == 30  # type: ignore[attr-defined]
    print(f"\ncapsule 30-stage up: refused by the budget: {stack.emulator.budget.refused}")
    assert stack.emulator.budget.refused == 0
