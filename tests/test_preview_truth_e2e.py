"""Previews that say what the `up` will do (issue 20, item 5): a stage created with its pipeline
records no `recovers`, a wrong token fails the preview of a pure update as it fails a create's,
and adopting shows each field the `up` will change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness, stages

pytestmark = pytest.mark.e2e


@pytest.fixture
def hubspot(tmp_path: Path, pulumi_home: Path, token: str) -> Iterator[StackHarness]:
    with EmulatorServer(HubSpotService(token=token)) as server:
        harness = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="hubspot")
        yield harness
        harness.remove()


def sales(*stages: dict[str, Any], adopt: bool = False) -> dict[str, Any]:
    """A stage set with one deal pipeline, Sales, of these stages."""
    pipeline: dict[str, Any] = {"name": "Sales", "stages": list(stages)}
    if adopt:
        pipeline["adopt"] = True
    return {"hubspot": {"deals": [pipeline]}}


def use(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("set", spec) and None


def stage_inputs(stack: StackHarness) -> dict[str, dict[str, Any]]:
    """The inputs the state holds for each deal stage, by resource name."""
    deployment = stack.stack.export_stack().deployment or {}
    return {
        r["urn"].rsplit("::", 1)[-1]: r.get("inputs", {})
        for r in deployment.get("resources", [])
        if r["type"].endswith("hubspot:DealStage")
    }


def test_stages_created_with_their_pipeline_never_say_recovers(hubspot: StackHarness) -> None:
    lead = {"name": "Lead", "probability": 0.1}
    won = {"name": "Won", "probability": 1.0}
    use(hubspot, sales(lead, won))
    hubspot.up()
    assert [k for k, v in stage_inputs(hubspot).items() if "recovers" in v] == []

    use(hubspot, sales({"name": "First call", "key": "Lead", "probability": 0.2}, won))
    hubspot.output.clear()
    hubspot.preview()
    plan = "".join(hubspot.output)
    assert '"Lead" => "First call"' in plan and "0.1 => 0.2" in plan
    assert "recovers" not in plan
    hubspot.up()
    assert [k for k, v in stage_inputs(hubspot).items() if "recovers" in v] == []
    hubspot.assert_no_changes()


def test_a_wrong_token_fails_the_preview_of_a_pure_update_with_one_read(
    stack: StackHarness,
) -> None:
    stack.declared = stages("Lead", "Won")
    stack.up()
    stack.preview()
    assert stack.emulator.log.counts() == {}, "a preview that plans nothing reads nothing"

    stack.declared = stages("Lead", "Won", color="#123456")
    stack.preview()
    assert stack.emulator.log.counts() == {"GET /api/v2/stages/{id}": 1}, "one read per account"

    stack.set_token("tok-wrong-abcdef123456")
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert stack.emulator.log.writes() == []
    text = str(failure.value)
    assert "Traceback" not in text and "tok-wrong-abcdef123456" not in text
    assert (
        "(401 unauthorized); check outreach:accessToken (or OUTREACH_ACCESS_TOKEN); it may have "
        "expired. Nothing was changed: the check before any write could not read the stage it "
        "changes (a preview stops at this check as an `up` does)." in text
    )


def hand_made_sales(stack: StackHarness, lead_probability: float) -> dict[str, str]:
    """A deal pipeline Sales made by hand with Lead and Won; the stage ids by label."""
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    made = service.state.create_pipeline(
        "deals",
        {
            "label": "Sales",
            "displayOrder": 0,
            "stages": [
                {
                    "label": "Lead",
                    "displayOrder": 10,
                    "metadata": {"probability": lead_probability},
                },
                {"label": "Won", "displayOrder": 20, "metadata": {"probability": 1.0}},
            ],
        },
    )
    return {stage.label: stage_id for stage_id, stage in made.stages.items()}


def test_adopting_a_hand_made_pipeline_previews_each_stages_differences(
    hubspot: StackHarness,
) -> None:
    ids = hand_made_sales(hubspot, lead_probability=0.1)
    use(
        hubspot,
        sales(
            {"name": "Lead", "probability": 0.2}, {"name": "Won", "probability": 1.0}, adopt=True
        ),
    )
    hubspot.output.clear()
    hubspot.preview()
    plan = "".join(hubspot.output)
    assert f"existing dealstage {ids['Lead']}; differs in probability 0.1 => 0.2" in plan
    assert f"existing dealstage {ids['Won']}; no differences" in plan

    hubspot.up()
    assert [(w.method, w.body) for w in hubspot.emulator.log.writes()] == [
        ("PATCH", {"metadata": {"probability": "0.2"}})
    ]
    hubspot.assert_no_changes()


def test_adopting_a_pipeline_that_matches_sends_no_write(hubspot: StackHarness) -> None:
    ids = hand_made_sales(hubspot, lead_probability=0.2)
    use(
        hubspot,
        sales(
            {"name": "Lead", "probability": 0.2}, {"name": "Won", "probability": 1.0}, adopt=True
        ),
    )
    hubspot.output.clear()
    hubspot.preview()
    plan = "".join(hubspot.output)
    assert f"existing dealstage {ids['Lead']}; no differences" in plan
    hubspot.up()
    assert hubspot.emulator.log.writes() == []
    hubspot.assert_no_changes()
