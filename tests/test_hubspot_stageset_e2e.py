"""HubSpot pipelines in a stage set, through the real engine against the HubSpot emulator: the
request counts of the common steps (a 10-stage deal pipeline from empty, a no-op `up`, moving one
stage, removing one that deals use, refreshing 100 stages), ticket pipelines, destroy.

Each step is followed by a preview that must plan nothing and write nothing. The counts printed
here are the ones the README's HubSpot section quotes, beside a full-PUT pipeline resource's.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.module_stack import (
    SharedStack,
    Start,
    fresh_stack_fixture,
    shared_stack_fixture,
)

pytestmark = pytest.mark.e2e

PIPELINES = "/crm/pipelines/2026-09/{objectType}"
TEN = [f"Stage {i}" for i in range(10)]
FULL_PUT = {
    "preview from empty": "0 (a plan of a new resource reads nothing)",
    "up from empty (10 stages)": "1 POST",
    "no-op up": "1 GET (refresh)",
    "move 1 stage": "1 GET + 1 PUT carrying all 10 stages",
    "remove 1 stage deals use: preview": "1 GET; the plan shows an update, no count",
    "remove 1 stage deals use: up": "1 GET + 1 PUT, refused by HubSpot at apply",
    "retire with moved_to: up": "not offered: move the deals by hand first",
}
"""What a resource holding a whole pipeline and rewriting it with a full PUT costs for the same
steps (jbunting/terraform-provider-hubspot's pipeline resource: GET to refresh, POST to create,
PUT of every stage per change, deletes validated by HubSpot), for the printed comparison."""


def deals(
    names: list[str], retired: list[dict[str, Any]] | None = None, label: str = "Sales"
) -> dict[str, Any]:
    """A `hubspot:` section with one deal pipeline of these stages."""
    stages = [{"name": n, "probability": 1.0 if n == "Won" else 0.5} for n in names]
    pipeline: dict[str, Any] = {"name": label, "stages": stages}
    if retired:
        pipeline["retired"] = retired
    return {"hubspot": {"deals": [pipeline]}}


def use(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("pipeline", spec) and None


def counts(stack: StackHarness) -> dict[str, int]:
    return dict(stack.emulator.log.counts())


def assert_moves_name_the_pipeline(stack: StackHarness, target: str, moved: int) -> None:
    """Each deal is moved once, in batch updates, to the target stage and that stage's
    pipeline; no record is PATCHed one by one."""
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    pipeline_id = next(p.id for p in state.made_pipelines().values() if target in p.stages)
    batches = [w.body for w in stack.emulator.log.writes() if w.path.endswith("/batch/update")]
    inputs = [i for body in batches for i in body["inputs"]]
    assert [i["properties"] for i in inputs] == [
        {"dealstage": target, "pipeline": pipeline_id}
    ] * moved
    assert len({i["id"] for i in inputs}) == moved
    assert not [
        w for w in stack.emulator.log.writes() if w.method == "PATCH" and "objects" in w.path
    ]


def ids(stack: StackHarness) -> dict[str, str]:
    return dict(stack.emulator.service.live_stages())


shared = shared_stack_fixture(lambda t: HubSpotService(token=t, portal_id=4242), "hubspot")

stack = fresh_stack_fixture()


@pytest.fixture(scope="module")
def three_deal_stages(shared: SharedStack) -> Start:
    """The start of the hand-edit tests: a deal pipeline of Lead, Demo, Won, made by `up`."""
    harness = shared.fresh()
    use(harness, deals(["Lead", "Demo", "Won"]))
    harness.up()
    return shared.save("three-deal-stages")


def test_the_saved_start_of_three_deal_stages_is_what_an_up_from_empty_makes(
    shared: SharedStack, three_deal_stages: Start
) -> None:
    """The start the hand-edit tests restore was made by an `up` that did its usual requests."""
    assert three_deal_stages.counts() == {
        f"GET {PIPELINES}": 2,
        f"POST {PIPELINES}": 1,
    }
    stack = shared.restore(three_deal_stages)
    assert [n for n, _ in stack.emulator.service.live_stages()] == ["Lead", "Demo", "Won"]


def test_a_deal_pipeline_from_empty_no_op_move_and_remove_cost_what_the_readme_says(
    stack: StackHarness,
) -> None:
    measured: dict[str, dict[str, int]] = {}
    names = list(TEN)
    use(stack, deals(names))

    stack.preview()
    measured["preview from empty"] = counts(stack)
    assert counts(stack) == {f"GET {PIPELINES}": 1}
    stack.up()
    measured["up from empty (10 stages)"] = counts(stack)
    # one listing guards the pipeline's label, one POST makes it with its 10 stages, one
    # listing lets the stages take over what that POST made (no stage POSTs)
    assert counts(stack) == {f"GET {PIPELINES}": 2, f"POST {PIPELINES}": 1}
    assert [n for n, _ in stack.emulator.service.live_stages()] == names
    stack.assert_no_changes()

    stack.up()
    measured["no-op up"] = counts(stack)
    assert counts(stack) == {}

    names.insert(2, names.pop(8))  # "Stage 8" moves up to third place
    use(stack, deals(names))
    stack.up()
    measured["move 1 stage"] = counts(stack)
    writes = stack.emulator.log.writes()
    assert [(w.method, w.route, w.body) for w in writes] == [
        ("PATCH", f"{PIPELINES}/{{pipelineId}}/stages/{{stageId}}", {"displayOrder": 25})
    ]
    assert counts(stack) == {f"GET {PIPELINES}": 1, "PATCH " + writes[0].route: 1}
    stack.assert_no_changes()

    old = ids(stack)["Stage 5"]
    stack.emulator.service.put_records(old, 12)
    kept = [n for n in names if n != "Stage 5"]
    use(stack, deals(kept))
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as refused:
            run()
        text = str(refused.value)
        assert f"HubSpot stage 'Stage 5' (id {old}) holds 12 deals; nothing was deleted." in text
        assert stack.emulator.log.writes() == []
        measured[f"remove 1 stage deals use: {run.__name__}"] = counts(stack)
    assert stack.emulator.service.records_in(old) == 12

    use(stack, deals(kept, [{"name": "Stage 5", "moved_to": "Stage 6"}]))
    stack.preview()
    target = ids(stack)["Stage 6"]
    line = f"12 deals move to 'Stage 6' (stage {target}), then stage {old} is deleted"
    assert line in "\n".join(stack.output)
    measured["retire with moved_to: preview"] = counts(stack)
    stack.up()
    measured["retire with moved_to: up"] = counts(stack)
    assert counts(stack)["POST /crm/objects/2026-03/{objectType}/batch/update"] == 1
    assert_moves_name_the_pipeline(stack, target, 12)
    assert counts(stack)[f"DELETE {PIPELINES}/{{pipelineId}}/stages/{{stageId}}"] == 1
    deletes = [e for e in stack.emulator.log.entries() if e.method == "DELETE"]
    assert deletes[0].query == {"validateDealStageUsagesBeforeDelete": "true"}
    assert stack.emulator.service.records_in(target) == 12
    assert "Stage 5" not in ids(stack)
    stack.assert_no_changes()

    report(measured)


def report(measured: dict[str, dict[str, int]]) -> None:
    """The measured counts beside a full-PUT pipeline resource's, for the README's table."""
    print("\nHubSpot request counts (measured through the engine) | a full-PUT pipeline resource:")
    for step, seen in measured.items():
        other = FULL_PUT.get(step, "")
        print(f"  {step:40} {sum(seen.values()):3}  {seen}  | {other}")


def test_a_refresh_of_100_stages_reads_the_pipeline_a_few_times_not_100(
    stack: StackHarness,
) -> None:
    names = [f"S{i:03}" for i in range(100)]
    use(stack, deals(names))
    stack.up()
    assert counts(stack)[f"POST {PIPELINES}"] == 1
    assert f"POST {PIPELINES}/{{pipelineId}}/stages" not in counts(stack)

    stack.refresh()
    print(f"\nrefresh of 100 stages: {counts(stack)}")
    assert stack.emulator.log.writes() == []
    # one listing answers every stage and the order; the pipeline reads itself once
    assert counts(stack) == {f"GET {PIPELINES}": 1, f"GET {PIPELINES}/{{pipelineId}}": 1}
    stack.assert_no_changes()


def test_a_stage_renamed_by_hand_is_drift_and_one_deleted_by_hand_is_recreated(
    shared: SharedStack, three_deal_stages: Start
) -> None:
    stack = shared.restore(three_deal_stages)
    use(stack, deals(["Lead", "Demo", "Won"]))
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    pipeline = next(iter(service.state.made_pipelines().values()))
    demo, won = ids(stack)["Demo"], ids(stack)["Won"]
    service.state.update_stage("deals", pipeline.id, demo, {"label": "Demo (old)"})
    service.state.delete_stage("deals", pipeline.id, won, validate=False)
    service.state.update_pipeline("deals", pipeline.id, {"label": "Sales (renamed)"})

    stack.refresh()
    stack.up()
    writes = {(w.method, w.route): w.body for w in stack.emulator.log.writes()}
    assert len(writes) == len(stack.emulator.log.writes()) == 3  # no stage replaced
    assert writes[("PATCH", f"{PIPELINES}/{{pipelineId}}")] == {"label": "Sales"}
    assert writes[("PATCH", f"{PIPELINES}/{{pipelineId}}/stages/{{stageId}}")] == {"label": "Demo"}
    assert writes[("POST", f"{PIPELINES}/{{pipelineId}}/stages")]["label"] == "Won"
    assert [n for n, _ in service.live_stages()] == ["Lead", "Demo", "Won"]
    stack.assert_no_changes()


def test_ticket_pipelines_keep_their_states_and_destroy_empties_the_account(
    stack: StackHarness,
) -> None:
    def tickets(closed: str) -> dict[str, Any]:
        stages = [
            {"name": "New"},
            {"name": "Waiting"},
            {"name": "Done", "ticket_state": "CLOSED"},
        ]
        for stage in stages:
            if stage["name"] == closed:
                stage["ticket_state"] = "CLOSED"
        return {"hubspot": {"tickets": [{"name": "Support", "stages": stages}]}}

    use(stack, tickets("Done"))
    stack.up()
    assert counts(stack) == {
        f"GET {PIPELINES}": 2,
        f"POST {PIPELINES}": 1,
    }
    states = {
        s.label: s.metadata["ticketState"]
        for p in stack.emulator.service.state.made_pipelines().values()  # type: ignore[attr-defined]
        for s in p.stages.values()
    }
    assert states == {"New": "OPEN", "Waiting": "OPEN", "Done": "CLOSED"}
    stack.assert_no_changes()

    use(stack, tickets("Waiting"))
    stack.up()
    assert [(w.method, w.body) for w in stack.emulator.log.writes()] == [
        ("PATCH", {"metadata": {"ticketState": "CLOSED"}})
    ]
    stack.assert_no_changes()

    stack.destroy()
    assert stack.emulator.service.live_stages() == []
    assert stack.emulator.service.state.made_pipelines() == {}  # type: ignore[attr-defined]
    assert stack.emulator.service.state.defaults_intact()  # type: ignore[attr-defined]


def test_a_rename_onto_a_label_made_by_hand_after_a_refresh_stops_at_preview(
    shared: SharedStack, three_deal_stages: Start
) -> None:
    """Found by the random sequences: after a refresh, a keyed rename onto a label someone gave
    another stage by hand reached HubSpot (409) instead of stopping at preview."""
    stack = shared.restore(three_deal_stages)
    use(stack, deals(["Lead", "Demo", "Won"]))
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    pipeline = next(iter(service.state.made_pipelines().values()))
    body = {"label": "Build", "displayOrder": 99, "metadata": {"probability": 0.5}}
    made = service.state.create_stage("deals", pipeline.id, body).id
    stack.refresh()

    spec = deals(["Lead", "Build", "Won"])
    spec["hubspot"]["deals"][0]["stages"][1]["key"] = "Demo"
    use(stack, spec)
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    assert (
        f"HubSpot already has a dealstage named 'Build' (id {made}); renaming this one to it "
        "would make two." in str(refused.value)
    )
    assert stack.emulator.log.writes() == []


def test_a_pipeline_create_whose_answer_is_lost_is_taken_over_not_made_twice(
    stack: StackHarness,
) -> None:
    stack.emulator.faults.add(Fault(FaultKind.COMMIT_THEN_DROP, method="POST"))
    use(stack, deals(["Lead", "Demo", "Won"]))
    stack.up()
    assert stack.emulator.faults.pending() == 0
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    assert len(service.state.made_pipelines()) == 1
    assert [n for n, _ in service.live_stages()] == ["Lead", "Demo", "Won"]
    assert counts(stack)[f"POST {PIPELINES}"] == 1  # found by label, its stages the seed
    stack.assert_no_changes()
