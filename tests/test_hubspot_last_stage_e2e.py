"""[doc] A HubSpot pipeline keeps at least one stage: the emulator refuses a pipeline with no
stages and the delete of a pipeline's last stage. Destroying a pipeline with its stages still
works (stages declared `deleted_with` their pipeline go with its delete); a refused delete of a
last stage is never success: removing the last stage of a pipeline the stack keeps, or
destroying a stage of a pipeline the stack does not manage, stops with a clear error, deletes
nothing and keeps the stage in state."""

from __future__ import annotations

import httpx
import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.hubspot import DealStage, Pipeline
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.module_stack import SharedStack, fresh_stack_fixture, shared_stack_fixture

pytestmark = pytest.mark.e2e

DEALS = "/crm/pipelines/2026-09/deals"
DECLARED = [("Lead", 10, 0.1), ("Demo", 20, 0.4)]


shared = shared_stack_fixture(lambda t: HubSpotService(token=t), "hubspot")

stack = fresh_stack_fixture()


@pytest.fixture
def stack_token(shared: SharedStack) -> str:
    """The token the module's stack and portal use."""
    return shared.token


def declare(stages: list[tuple[str, int, float]]) -> None:
    seed = [{"name": n, "display_order": o, "probability": p} for n, o, p in DECLARED]
    sales = Pipeline("sales", name="Sales", seed=seed)
    with_pipeline = pulumi.ResourceOptions(deleted_with=sales)
    for name, order, probability in stages:
        DealStage(
            name.lower(),
            name=name,
            pipeline="Sales",
            pipeline_id=sales.pipeline_id,
            probability=probability,
            display_order=order,
            opts=with_pipeline,
        )


def test_the_emulator_keeps_at_least_one_stage_per_pipeline(token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with (
        EmulatorServer(HubSpotService(token=token)) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=headers) as http,
    ):
        empty = http.post(DEALS, json={"label": "Empty", "displayOrder": 0, "stages": []})
        assert empty.status_code == 400 and empty.json()["category"] == "VALIDATION_ERROR"
        stage = {"label": "Only", "displayOrder": 0, "metadata": {"probability": "0.1"}}
        made = http.post(DEALS, json={"label": "One", "displayOrder": 0, "stages": [stage]})
        pipeline = made.json()
        only = f"{DEALS}/{pipeline['id']}/stages/{pipeline['stages'][0]['id']}"
        refused = http.delete(only)
        assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
        assert http.delete(f"{DEALS}/{pipeline['id']}").status_code == 204
        assert http.get(only).status_code == 404


def test_destroy_leaves_the_last_stage_to_the_pipeline_delete(stack: StackHarness) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    stack.program = lambda: declare(DECLARED)
    stack.up()
    assert sorted(n for n, _ in service.live_stages()) == ["Demo", "Lead"]
    stack.destroy()
    assert service.state.made_pipelines() == {}
    assert service.state.defaults_intact()


def test_removing_the_last_stage_of_a_kept_pipeline_is_refused_clearly(
    stack: StackHarness,
) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    stack.program = lambda: declare(DECLARED[:1])
    stack.up()
    demo = dict(service.live_stages())["Demo"]
    service.state.delete_stage("deals", next(iter(service.state.made_pipelines())), demo, False)
    stack.program = lambda: declare([])
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    assert "a HubSpot pipeline keeps at least one stage" in str(refused.value)
    assert [n for n, _ in service.live_stages()] == ["Lead"]


def test_destroying_the_adopted_last_stage_of_a_pipeline_it_does_not_manage_fails(
    stack: StackHarness, stack_token: str
) -> None:
    """Issue 18, item 3: the stack adopts the only stage of a pipeline made by hand and runs
    `pulumi destroy`; HubSpot refuses (a pipeline keeps a stage). That was exit 0 with the stage
    dropped from state; now the destroy fails naming why, and state still holds the stage."""
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    headers = {"Authorization": f"Bearer {stack_token}"}
    stage = {"label": "Only", "displayOrder": 0, "metadata": {"probability": "0.1"}}
    with httpx.Client(base_url=stack.emulator.base_url, headers=headers) as http:
        made = http.post(DEALS, json={"label": "Theirs", "displayOrder": 0, "stages": [stage]})
        assert made.status_code == 201, made.text
    pipeline_id = made.json()["id"]
    stack.program = lambda: (
        DealStage(
            "only",
            name="Only",
            pipeline="Theirs",
            pipeline_id=pipeline_id,
            probability=0.1,
            display_order=0,
            adopt=True,
        )
        and None
    )
    stack.up()
    assert "only" in str(stack.state_outputs("DealStage"))

    with pytest.raises(auto.CommandError) as refused:
        stack.destroy()
    text = str(refused.value)
    print("\n" + next(line for line in text.splitlines() if "keeps at least one" in line))
    assert "a HubSpot pipeline keeps at least one stage: 'Only'" in text
    assert "it is kept, in HubSpot and in the stack's state" in text
    assert [n for n, _ in service.live_stages()] == ["Only"]
    assert len(stack.state_outputs("DealStage")) == 1


def test_destroy_target_of_a_sets_last_stage_fails_and_keeps_it(stack: StackHarness) -> None:
    """Issue 18, item 3 with `destroy --target`: only the stage goes, not its pipeline, so
    HubSpot refuses the last stage's delete; that was success with the stage dropped from state
    (no Pipeline was checked in the process). Now it fails and state keeps the stage."""
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    spec = {
        "hubspot": {"deals": [{"name": "Sales", "stages": [{"name": "Only", "probability": 0.5}]}]}
    }
    stack.program = lambda: StageSet("set", spec) and None
    stack.up()
    urn = next(
        r["urn"]
        for r in stack.stack.export_stack().deployment["resources"]
        if r["type"].endswith("hubspot:DealStage")
    )
    stack.emulator.log.reset()
    with pytest.raises(auto.CommandError) as refused:
        stack.stack.destroy(target=[urn], target_dependents=True, on_output=stack.output.append)
    assert "a HubSpot pipeline keeps at least one stage: 'Only'" in str(refused.value)
    assert [n for n, _ in service.live_stages()] == ["Only"]
    assert list(stack.state_outputs("DealStage")) == ["set/hubspot/deals/Sales/Only"]
    assert [w.method for w in stack.emulator.log.writes()] == ["DELETE"]


def test_adopting_a_pipeline_the_portal_lacks_with_no_stages_fails_at_preview(
    stack: StackHarness, stack_token: str
) -> None:
    """`adopt: true` on a label the portal does not hold falls back to creating the pipeline,
    which HubSpot refuses without a stage: the preview says so, and the `up` stops there too,
    before any write. The same declaration for a label the portal holds adopts it."""
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    spec = {"hubspot": {"deals": [{"name": "Theirs", "adopt": True, "stages": []}]}}
    stack.program = lambda: StageSet("set", spec) and None
    for command in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as refused:
            command()
        text = str(refused.value)
        assert "no deal pipeline labelled 'Theirs' in this portal to adopt" in text
        assert "needs at least one stage" in text
    print("\n" + next((line for line in text.splitlines() if "to adopt" in line), ""))
    assert stack.emulator.log.writes() == []
    assert service.state.made_pipelines() == {}

    headers = {"Authorization": f"Bearer {stack_token}"}
    stage = {"label": "Only", "displayOrder": 0, "metadata": {"probability": "0.1"}}
    with httpx.Client(base_url=stack.emulator.base_url, headers=headers) as http:
        made = http.post(DEALS, json={"label": "Theirs", "displayOrder": 0, "stages": [stage]})
        assert made.status_code == 201, made.text
    stack.emulator.log.reset()
    stack.up()
    assert stack.emulator.log.writes() == []
    assert [n for n, _ in service.live_stages()] == ["Only"]
    (outs,) = stack.state_outputs("Pipeline").values()
    assert outs["pipeline_id"] == made.json()["id"]
