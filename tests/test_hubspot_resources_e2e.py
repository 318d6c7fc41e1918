"""HubSpot's single resources through the real engine: a Pipeline created with a first stage, a
DealStage that finds its pipeline by label, in-place metadata changes, the duplicate guard, a
missing pipeline named in one line, and destroy."""

from __future__ import annotations

import pulumi
import pytest
from pulumi import automation as auto

from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.hubspot import DealStage, Pipeline, TicketStage
from tests.engine import StackHarness
from tests.module_stack import fresh_stack_fixture, shared_stack_fixture

pytestmark = pytest.mark.e2e

STAGES = "/crm/pipelines/2026-09/{objectType}/{pipelineId}/stages"


shared = shared_stack_fixture(lambda t: HubSpotService(token=t), "hubspot")

stack = fresh_stack_fixture()


def test_a_deal_stage_finds_its_pipeline_by_label_and_changes_in_place(
    stack: StackHarness,
) -> None:
    probability = {"value": 0.4}

    def program() -> None:
        seed = [{"name": "Lead", "display_order": 10, "probability": 0.1}]
        sales = Pipeline("sales", name="Sales", seed=seed)
        DealStage(
            "demo",
            name="Demo",
            pipeline="Sales",
            probability=probability["value"],
            display_order=20,
            opts=pulumi.ResourceOptions(depends_on=[sales]),
        )

    stack.program = program
    stack.up()
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    assert [n for n, _ in service.live_stages()] == ["Lead", "Demo"]
    assert stack.emulator.log.counts()[f"POST {STAGES}"] == 1
    stack.assert_no_changes()

    probability["value"] = 0.6
    stack.up()
    assert [(w.method, w.body) for w in stack.emulator.log.writes()] == [
        ("PATCH", {"metadata": {"probability": "0.6"}})
    ]
    stack.assert_no_changes()

    stack.destroy()
    assert service.state.made_pipelines() == {}
    assert service.state.defaults_intact()


def test_a_hand_made_label_and_a_missing_pipeline_stop_the_preview(stack: StackHarness) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    made = service.state.create_pipeline(
        "deals",
        {
            "label": "Sales",
            "displayOrder": 0,
            "stages": [{"label": "Demo", "displayOrder": 1, "metadata": {"probability": 0.3}}],
        },
    )
    stack.program = lambda: (
        DealStage("demo", name="Demo", pipeline="Sales", probability=0.3) and None
    )
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    demo = next(iter(made.stages))
    assert (
        f"HubSpot already has a dealstage named 'Demo' (id {demo}) that this stack does not "
        "manage; to take it over, set `adopt: true`" in str(refused.value)
    )

    stack.program = lambda: TicketStage("new", name="New", pipeline="Nope") and None
    with pytest.raises(auto.CommandError) as missing:
        stack.up()
    assert "HubSpot has no ticket pipeline labelled 'Nope' in this account" in str(missing.value)
    assert stack.emulator.log.writes() == []
