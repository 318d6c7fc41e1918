"""Nothing lost, through the real engine (issue 18): closed records count and move like open
ones, records that arrive between the last move and the delete are moved before it, a search
sent as POST survives a brief outage instead of skipping a guard, and a preview of many removals
reads their records in batches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.capsule import CapsuleService
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.emulator.outreach import OutreachService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e

FILTERS = "/api/v2/kases/filters/results"


def use(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("pipeline", spec) and None


def board(stages: list[str], retired: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "Delivery", "stages": [{"name": n} for n in stages]}
    if retired:
        spec["retired"] = retired
    return {"capsule": {"boards": [spec]}}


def stage_ids(stack: StackHarness) -> dict[str, str]:
    return dict(stack.emulator.service.live_stages())


def first_line(error: auto.CommandError, needle: str) -> str:
    return next(line.strip() for line in str(error).splitlines() if needle in line)


def test_a_closed_capsule_project_stops_a_removal_and_moves_with_moved_to(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Item 1: a stage holding one closed project was deleted, leaving it on no stage."""
    with EmulatorServer(CapsuleService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="capsule")
        state = server.service.state  # type: ignore[attr-defined]
        use(stack, board(["Brief", "Build", "Old"]))
        stack.up()
        ids = stage_ids(stack)
        closed, still_open = (int(i) for i in server.service.put_records(ids["Old"], 2))
        state.update_project(closed, {"status": "CLOSED"})

        use(stack, board(["Brief", "Build"]))
        state.update_project(still_open, {"status": "CLOSED"})  # both closed: none blocks Capsule
        for run in (stack.preview, stack.up):
            with pytest.raises(auto.CommandError) as refused:
                run()
            print(f"\n{run.__name__}: {first_line(refused.value, 'holds')}")
            assert "'Old' (id " in str(refused.value)
            assert "holds 2 projects (2 closed); nothing was deleted" in str(refused.value)
            assert server.log.writes() == []
        assert "Old" in stage_ids(stack)

        use(stack, board(["Brief", "Build"], [{"name": "Old", "moved_to": "Build"}]))
        stack.preview()
        assert "2 projects (2 closed) move to 'Build'" in "\n".join(stack.output)
        stack.up()
        assert server.log.count("PUT") == 2
        for project in (closed, still_open):
            moved = state.project(project)
            assert moved.stage_id == int(ids["Build"]) and not moved.is_open
        assert "Old" not in stage_ids(stack)
        stack.assert_no_changes()
        stack.remove()


def test_a_prospect_that_arrives_after_the_last_move_is_moved_before_the_delete(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Item 2: `move_all` stopped at an empty page and deleted without counting again, so a
    prospect added in that gap ended on no stage (Outreach checks nothing on delete)."""
    with EmulatorServer(OutreachService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token)
        outreach: Any = server.service
        live = {"outreach": {"stages": [{"name": "Prospecting"}, {"name": "Qualified"}]}}
        use(stack, {"outreach": {"stages": [*live["outreach"]["stages"], {"name": "Old"}]}})
        stack.up()
        ids = stage_ids(stack)
        outreach.put_records(ids["Old"], 3)
        late = arrive_after_empty_page(outreach, ids["Old"])

        retired = [{"name": "Old", "moved_to": "Qualified"}]
        use(stack, {"outreach": {**live["outreach"], "retired": retired}})
        stack.up()
        assert late, "no prospect arrived: the scenario did not happen"
        counts = dict(server.log.counts())
        print(f"\nretire with a late arrival: {counts}")
        assert counts["PATCH /api/v2/prospects/{id}"] == 4
        assert outreach.records_in(ids["Qualified"]) == 4
        stranded = [p.id for p in outreach.state.prospect_listing() if p.stage_id is None]
        assert stranded == []
        assert "Old" not in stage_ids(stack)
        entries = server.log.entries()
        delete = next(e for e in entries if e.method == "DELETE")
        count = [e for e in entries if e.route.endswith("/prospects") and e.at < delete.at][-1]
        print(
            f"window between the last count and the delete: {(delete.at - count.at) * 1000:.1f} ms"
        )


def arrive_after_empty_page(outreach: Any, stage_id: str) -> list[str]:
    """Make one prospect arrive in the stage right after the first empty page of its prospects
    is read (the gap between a move's last read and the delete); the ids that arrived."""
    state = outreach.state
    original: Callable[..., Any] = state.prospect_ids_matching
    arrived: list[str] = []

    def matching(relations: dict[tuple[str, str], set[Any]]) -> Any:
        found = original(relations)
        asks_for_stage = stage_id in {str(i) for i in relations.get(("stage", "id")) or ()}
        if asks_for_stage and found is not None and not found and not arrived:
            arrived.extend(outreach.put_records(stage_id, 1))
        return found

    state.prospect_ids_matching = matching
    return arrived


def test_a_brief_search_outage_does_not_skip_the_records_guard(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Item 5: Capsule's project search is a POST, never retried, and the preview's records
    guard gave up on the error: the removal of a stage holding projects previewed green."""
    with EmulatorServer(CapsuleService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="capsule")
        use(stack, board(["Brief", "Build", "Old"]))
        stack.up()
        server.service.put_records(stage_ids(stack)["Old"], 3)
        use(stack, board(["Brief", "Build"]))
        server.faults.add(Fault(FaultKind.STATUS, count=2, status=500, path=FILTERS))
        with pytest.raises(auto.CommandError) as refused:
            stack.preview()
        print(f"\npreview under a search outage: {first_line(refused.value, 'holds')}")
        assert "holds 3 projects (3 open); nothing was deleted" in str(refused.value)
        assert server.faults.pending() == 0, "the outage did not happen"
        assert server.log.count("POST") == 3  # two 500s, then the answer
        assert server.log.writes() == []
        stack.remove()


def test_a_preview_of_many_removals_reads_their_prospects_in_batches(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Safety near the request floor: removing 60 empty stages reads prospects twice (50 stage
    ids a read), not 60 times; one that holds prospects is still named."""
    with EmulatorServer(OutreachService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token)
        names = [f"Stage {i:02}" for i in range(61)]
        use(stack, {"outreach": {"stages": [{"name": n} for n in names]}})
        stack.up()
        use(stack, {"outreach": {"stages": [{"name": names[0]}]}})
        stack.preview()
        reads = server.log.counts().get("GET /api/v2/prospects", 0)
        print(f"\npreview removing 60 empty stages: {reads} prospect reads")
        assert reads == 2
        server.service.put_records(stage_ids(stack)["Stage 07"], 2)  # type: ignore[attr-defined]
        with pytest.raises(auto.CommandError) as refused:
            stack.preview()
        assert "'Stage 07' (id " in str(refused.value) and "holds 2 prospects" in str(refused.value)
        assert server.log.writes() == []
        stack.remove()


def hubspot_set(names: list[str]) -> dict[str, Any]:
    stages = [{"name": n, "probability": 0.5} for n in names]
    return {"hubspot": {"deals": [{"name": "Sales", "stages": stages}]}}


def test_a_lagging_search_never_reads_a_stage_holding_deals_as_empty(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """A batched count (one `IN` search for many stages) whose page holds every record it found
    confirms its zeros from the records: a deal search does not show yet still stops the
    removal at preview, named with the others."""
    with EmulatorServer(HubSpotService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="hubspot")
        state: Any = server.service.state  # type: ignore[attr-defined]
        use(stack, hubspot_set(["Lead", "Demo", "Won"]))
        stack.up()
        ids = stage_ids(stack)
        state.options.search_consistent = False
        state.options.search_lag_seconds = 0.0
        server.service.put_records(ids["Lead"], 1)  # type: ignore[attr-defined]
        state.options.search_lag_seconds = 600.0  # search will not see this one
        server.service.put_records(ids["Demo"], 1)  # type: ignore[attr-defined]

        use(stack, hubspot_set(["Won"]))
        with pytest.raises(auto.CommandError) as refused:
            stack.preview()
        text = str(refused.value)
        print(f"\nlagging search: {first_line(refused.value, 'holds')}")
        assert "'Lead' (id " in text and "'Demo' (id " in text, text[-1500:]
        assert server.log.writes() == []
        stack.remove()


def test_a_pipeline_whose_stages_hold_deals_is_not_destroyed_and_state_keeps_it_all(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """A set's HubSpot stages are deleted with their pipeline (HubSpot keeps a pipeline's last
    stage), so the engine skips their own deletes; the set's order, deleted first, is their
    records guard: a destroy stops before any delete, and state still equals the portal (the
    stages were dropped from state while HubSpot refused the pipeline's delete)."""
    with EmulatorServer(HubSpotService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="hubspot")
        use(stack, hubspot_set(["Lead", "Demo"]))
        stack.up()
        server.service.put_records(stage_ids(stack)["Lead"], 1)  # type: ignore[attr-defined]
        before = sorted(stack.state_outputs("DealStage"))
        with pytest.raises(auto.CommandError) as refused:
            stack.destroy()
        print(f"\ndestroy: {first_line(refused.value, 'holds')}")
        assert "HubSpot stage 'Lead' (id " in str(refused.value)
        assert "holds 1 deal; nothing was deleted" in str(refused.value)
        assert server.log.writes() == []
        assert sorted(stack.state_outputs("DealStage")) == before
        assert sorted(n for n, _ in server.service.live_stages()) == ["Demo", "Lead"]
        assert len(stack.state_outputs("Pipeline")) == 1
        assert len(stack.state_outputs("DealStageOrder")) == 1
        stack.remove()
