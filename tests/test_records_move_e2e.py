"""Records move before a stage goes, through the real engine: a removal whose stage holds
records stops at preview with 0 writes; a `retired:` entry with `moved_to` moves them (in pages,
one write each) and then deletes the stage; `keep` leaves the stage, unmanaged; an unconfirmed
zero is never taken for empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.capsule import CapsuleService
from pulumi_stages.emulator.outreach import OutreachService
from pulumi_stages.emulator.outreach.state import CountMode
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.saved_start import SavedStart, saved_start

pytestmark = pytest.mark.e2e

LIVE = ["Prospecting", "Qualified", "Old Lead"]


def outreach_set(stages: list[str], retired: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    section: dict[str, Any] = {"stages": [{"name": n} for n in stages]}
    if retired:
        section["retired"] = retired
    return {"outreach": section}


def create_live(stack: StackHarness) -> None:
    use(stack, outreach_set(LIVE))
    stack.up()


@pytest.fixture(scope="module")
def live_created(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    """The LIVE stages created by one `up`, once per module."""
    folder = tmp_path_factory.mktemp("live-created")
    with saved_start(folder, pulumi_home, OutreachService, setup=create_live) as start:
        yield start


@pytest.fixture
def sales(live_created: SavedStart) -> Iterator[StackHarness]:
    """The stack and account as the `up` of the LIVE stages left them."""
    with live_created.restored() as harness:
        yield harness


def use(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("pipeline", spec) and None


def stage_ids(stack: StackHarness) -> dict[str, str]:
    return dict(stack.emulator.service.live_stages())


def test_removing_a_stage_that_holds_prospects_stops_at_preview_writing_nothing(
    sales: StackHarness,
) -> None:
    old = stage_ids(sales)["Old Lead"]
    sales.emulator.service.put_records(old, 12)
    use(sales, outreach_set(LIVE[:2]))

    for run in (sales.preview, sales.up):
        with pytest.raises(auto.CommandError) as refused:
            run()
        assert "'Old Lead' (id " in str(refused.value)
        assert "holds 12 prospects; nothing was deleted" in str(refused.value)
        assert sales.emulator.log.writes() == []
        print(f"\nrefusal ({run.__name__}): {dict(sales.emulator.log.counts())}")
    assert stage_ids(sales)["Old Lead"] == old  # the stage, its prospects and the state stay
    assert sales.emulator.service.records_in(old) == 12
    assert "pipeline/outreach/Old Lead" in sales.state_outputs()


def test_a_retired_stage_moves_its_prospects_then_goes(sales: StackHarness) -> None:
    ids = stage_ids(sales)
    sales.emulator.service.put_records(ids["Old Lead"], 12)
    use(sales, outreach_set(LIVE[:2], [{"name": "Old Lead", "moved_to": "Qualified"}]))

    planned = sales.preview().change_summary
    shown = "\n".join(sales.output)
    line = f"12 prospects move to 'Qualified' (stage {ids['Qualified']}), then stage"
    assert line in shown and sales.emulator.log.writes() == []
    assert planned.get(auto.OpType.DELETE) == 1, f"the retirement is not a delete: {planned}"
    sales.up()
    counts = dict(sales.emulator.log.counts())
    print(f"\nmove: {counts}")
    assert counts["PATCH /api/v2/prospects/{id}"] == 12  # one prospect per write
    assert counts["DELETE /api/v2/stages/{id}"] == 1
    assert sales.emulator.service.records_in(ids["Qualified"]) == 12
    assert "Old Lead" not in stage_ids(sales)
    sales.assert_no_changes()
    sales.refresh()  # an update still: its diff runs on the inputs from before, with the plan
    again = sales.refresh().summary.resource_changes
    assert again == {"same": 5}, f"a refresh still sees the done retirement as to do: {again}"
    sales.assert_no_changes()

    use(sales, outreach_set(LIVE[:2]))  # the entry can go once the stage is retired
    sales.assert_no_changes()  # nothing planned: the stage is gone already
    sales.up()
    assert sales.emulator.log.writes() == []
    sales.assert_no_changes()


def test_keep_leaves_the_stage_and_its_prospects_unmanaged(sales: StackHarness) -> None:
    old = stage_ids(sales)["Old Lead"]
    sales.emulator.service.put_records(old, 3)
    use(sales, outreach_set(LIVE[:2], [{"name": "Old Lead", "keep": True}]))
    sales.up()
    use(sales, outreach_set(LIVE[:2]))
    sales.up()
    assert sales.emulator.log.writes() == []
    assert stage_ids(sales)["Old Lead"] == old
    assert sales.emulator.service.records_in(old) == 3


def test_an_unconfirmed_zero_is_not_empty(sales: StackHarness) -> None:
    old = stage_ids(sales)["Old Lead"]
    sales.emulator.service.put_records(old, 4)
    sales.emulator.service.state.options.count_mode = CountMode.ZERO_UNDER_LOAD  # type: ignore[attr-defined]
    use(sales, outreach_set(LIVE[:2]))
    with pytest.raises(auto.CommandError) as refused:
        sales.preview()
    assert "holds at least 4 prospects" in str(refused.value)
    assert sales.emulator.log.writes() == []


def test_capsule_open_projects_move_within_the_board(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    def board(stages: list[str], retired: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": "Delivery", "stages": [{"name": n} for n in stages]}
        if retired:
            spec["retired"] = retired
        return {"capsule": {"boards": [spec]}}

    with EmulatorServer(CapsuleService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="capsule")
        use(stack, board(["Brief", "Build", "Old"]))
        stack.up()
        ids = stage_ids(stack)
        server.service.put_records(ids["Old"], 3)

        use(stack, board(["Brief", "Build"]))
        with pytest.raises(auto.CommandError) as refused:
            stack.preview()
        assert "holds 3 projects (3 open)" in str(refused.value)

        use(stack, board(["Brief", "Build"], [{"name": "Old", "moved_to": "Build"}]))
        stack.up()
        counts = dict(server.log.counts())
        print(f"\ncapsule move: {counts}")
        assert counts["PUT /api/v2/kases/{id}"] == 3
        assert server.service.records_in(ids["Build"]) == 3
        assert "Old" not in stage_ids(stack)
        stack.assert_no_changes()
        stack.remove()


def test_a_keyed_rename_of_a_stage_holding_prospects_is_no_removal(sales: StackHarness) -> None:
    old = stage_ids(sales)["Old Lead"]
    sales.emulator.service.put_records(old, 5)
    use(
        sales,
        {
            "outreach": {
                "stages": [
                    *({"name": n} for n in LIVE[:2]),
                    {"name": "Older Lead", "key": "Old Lead"},
                ]
            }
        },
    )
    sales.up()
    assert [(w.method, w.body) for w in sales.emulator.log.writes()] == [
        ("PATCH", {"data": {"type": "stage", "id": int(old), "attributes": {"name": "Older Lead"}}})
    ]
    assert sales.emulator.service.records_in(old) == 5


def test_a_kept_stage_declared_again_is_managed_in_place(sales: StackHarness) -> None:
    old = stage_ids(sales)["Old Lead"]
    use(sales, outreach_set(LIVE[:2], [{"name": "Old Lead", "keep": True}]))
    sales.up()
    use(sales, outreach_set(LIVE))
    sales.up()
    assert "POST /api/v2/stages" not in sales.emulator.log.counts()  # no second "Old Lead"
    assert [n for n, _ in sales.emulator.service.live_stages()].count("Old Lead") == 1
    assert stage_ids(sales)["Old Lead"] == old
    sales.assert_no_changes()


def test_one_name_in_two_sets_of_one_stack_is_refused(sales: StackHarness) -> None:
    def two_sets() -> None:
        StageSet("pipeline", outreach_set(LIVE))
        StageSet("other", outreach_set(["Won", "Qualified"]))

    sales.program = two_sets
    with pytest.raises(auto.CommandError) as refused:
        sales.preview()
    assert "'Qualified' is declared twice in this stack" in str(refused.value)
    assert sales.emulator.log.writes() == []


def test_a_rename_onto_a_name_made_by_hand_stops_at_preview(sales: StackHarness) -> None:
    sales.emulator.service.state.create({"name": "Won"})  # type: ignore[attr-defined]
    use(
        sales,
        {
            "outreach": {
                "stages": [{"name": "Won", "key": "Prospecting"}, *({"name": n} for n in LIVE[1:])]
            }
        },
    )
    with pytest.raises(auto.CommandError) as refused:
        sales.preview()
    assert "renaming this one to it would make two" in str(refused.value)
    assert sales.emulator.log.writes() == []
    assert [n for n, _ in sales.emulator.service.live_stages()].count("Won") == 1
