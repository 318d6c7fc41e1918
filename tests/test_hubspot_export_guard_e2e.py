"""HubSpot through the registry alone: `pulumi-stages export hubspot` writes an account's deal and
ticket pipelines as a stage set that adopts with no writes, the schema names the section, and the
account guard (`hubspot:expectedAccount`, the portal id) stops a preview aimed at another portal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from pulumi_stages.cli import main
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet, json_schema_text
from tests.engine import StackHarness
from tests.module_stack import SharedStack, fresh_stack_fixture, shared_stack_fixture

pytestmark = pytest.mark.e2e


shared = shared_stack_fixture(lambda t: HubSpotService(token=t, portal_id=4242), "hubspot")

stack = fresh_stack_fixture()


def made_by_hand(service: HubSpotService) -> None:
    """Pipelines set up in HubSpot's UI over the years: irregular display orders."""
    deals = [("Qualified", 7, "0.2"), ("Proposal", 3, "0.6"), ("Won", 40, "1.0")]
    service.state.create_pipeline(
        "deals",
        {
            "label": "New Business",
            "displayOrder": 0,
            "stages": [
                {"label": n, "displayOrder": o, "metadata": {"probability": p}} for n, o, p in deals
            ],
        },
    )
    service.state.create_pipeline(
        "tickets",
        {
            "label": "Support",
            "displayOrder": 0,
            "stages": [
                {"label": "New", "displayOrder": 1, "metadata": {"ticketState": "OPEN"}},
                {"label": "Closed", "displayOrder": 2, "metadata": {"ticketState": "CLOSED"}},
            ],
        },
    )


def test_export_then_adopt_takes_the_account_over_with_no_writes(
    stack: StackHarness,
    shared: SharedStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = shared.token
    hubspot = stack.emulator
    made_by_hand(hubspot.service)  # type: ignore[arg-type]
    out = tmp_path / "stages.yaml"
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", hubspot.base_url)
    hubspot.log.reset()
    assert main(["export", "hubspot", "-o", str(out)]) == 0
    # one GET per object type with pipelines (a type the portal lacks answers 400 and is left
    # out) and one for the custom object schemas
    assert dict(hubspot.log.counts()) == {
        "GET /crm/pipelines/2026-09/{objectType}": 8,
        "GET /crm-object-schemas/2026-03/schemas": 1,
    }
    # a real portal's own pipelines are exported too: 7 default deal and 4 ticket stages
    assert "Wrote 16 HubSpot stages" in capsys.readouterr().err
    data = yaml.safe_load(out.read_text())["hubspot"]
    assert data["adopt"] is True
    by_name = {p["name"]: p for kind in ("deals", "tickets") for p in data[kind]}
    assert sorted(by_name) == ["New Business", "Sales Pipeline", "Support", "Support Pipeline"]
    defaults = [s["name"] for s in by_name["Sales Pipeline"]["stages"]]
    assert (len(defaults), defaults[0], defaults[-1]) == (7, "Appointment Scheduled", "Closed Lost")
    assert [p for p in data["deals"] if p["name"] != "Sales Pipeline"] == [
        {
            "name": "New Business",
            "stages": [
                {"name": "Proposal", "probability": 0.6},
                {"name": "Qualified", "probability": 0.2},
                {"name": "Won", "probability": 1.0},
            ],
        }
    ]
    assert [p for p in data["tickets"] if p["name"] != "Support Pipeline"] == [
        {
            "name": "Support",
            "stages": [{"name": "New"}, {"name": "Closed", "ticket_state": "CLOSED"}],
        }
    ]

    stack.program = lambda: StageSet.from_file("crm", out) and None
    stack.up()
    print(f"\nadopt 4 exported pipelines of 16 stages: {dict(hubspot.log.counts())}")
    assert hubspot.log.writes() == []
    assert len(hubspot.service.live_stages()) == 5
    assert hubspot.service.state.defaults_intact()  # type: ignore[attr-defined]
    stack.assert_no_changes()


def test_the_schema_has_a_hubspot_section() -> None:
    schema = json.loads(json_schema_text())
    assert "hubspot" in schema["properties"]
    deal = schema["$defs"]["DealStageSpec"]
    assert deal["properties"]["probability"] == {
        "description": (
            "Likelihood that a deal in this stage closes, 0.0 to 1.0 (1.0 won, 0.0 lost)."
        ),
        "maximum": 1,
        "minimum": 0,
        "title": "Probability",
        "type": "number",
    }
    assert "probability" in deal["required"]


def test_a_stack_for_another_portal_stops_at_preview(stack: StackHarness) -> None:
    section = {"deals": [{"name": "Sales", "stages": [{"name": "Lead", "probability": 0.1}]}]}
    stack.program = lambda: StageSet("crm", {"hubspot": section}) and None
    stack.stack.set_config("hubspot:expectedAccount", auto.ConfigValue("999"))
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    assert (
        "wrong HubSpot account: the token belongs to '4242' but hubspot:expectedAccount is "
        "'999'; nothing was changed." in str(refused.value)
    )
    assert dict(stack.emulator.log.counts()) == {"GET /account-info/2026-03/details": 1}

    stack.stack.set_config("hubspot:expectedAccount", auto.ConfigValue("4242"))
    stack.up()
    assert stack.emulator.log.counts()["GET /account-info/2026-03/details"] == 1  # once a run
    assert [n for n, _ in stack.emulator.service.live_stages()] == ["Lead"]
    stack.assert_no_changes()
