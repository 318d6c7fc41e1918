"""`pulumi-stages drift` on accounts as teams have them: a HubSpot portal that holds its default
pipelines and another team's pipeline beside the stack's (quiet when in sync, drift only inside
what the stack declares), a token rotated with no `up` since (refresh and drift read with the
current config), and a preview the stack's own guard refuses (the refusal is the report)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.emulator.hubspot.state import HubSpotOptions, HubSpotState
from tests.engine import ROOT, PulumiCli

pytestmark = pytest.mark.e2e


def drift(pulumi: PulumiCli, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `pulumi-stages drift` on stack dev as a CI job would, in the stack's environment."""
    command = [sys.executable, "-m", "pulumi_stages.cli", "drift", "--stack", "dev"]
    return subprocess.run(
        [*command, "--cwd", str(pulumi.project), *args],
        env=pulumi.env,
        capture_output=True,
        text=True,
        check=False,
    )


def deal_stages(*labels: str) -> list[dict[str, Any]]:
    return [
        {"label": label, "displayOrder": i, "metadata": {"probability": str(i / 10)}}
        for i, label in enumerate(labels)
    ]


def ticket_stages(*labels: str) -> list[dict[str, Any]]:
    return [
        {"label": label, "displayOrder": i, "metadata": {"ticketState": "OPEN"}}
        for i, label in enumerate(labels)
    ]


def seed_portal(state: Any) -> None:
    """What a real portal holds before any stack: HubSpot's default deal and ticket pipelines
    (guess: the labels and stages a new portal shows; what matters here is that they exist),
    and another team's deal pipeline that shares a stage name with the stack's."""
    defaults = ("Appointment Scheduled", "Qualified To Buy", "Closed Won", "Closed Lost")
    state.create_pipeline(
        "deals", {"label": "Sales Pipeline", "displayOrder": 0, "stages": deal_stages(*defaults)}
    )
    tickets = ticket_stages("New", "Waiting on contact", "Waiting on us", "Closed")
    state.create_pipeline(
        "tickets", {"label": "Support Pipeline", "displayOrder": 0, "stages": tickets}
    )
    theirs = deal_stages("Referral", "Closed Won")
    state.create_pipeline("deals", {"label": "Partner Deals", "displayOrder": 5, "stages": theirs})


@pytest.fixture
def portal(token: str) -> Iterator[EmulatorServer]:
    """A HubSpot portal as a team finds it: default pipelines and another team's."""
    empty = HubSpotState(options=HubSpotOptions(default_pipelines=False))  # seeded here
    service = HubSpotService(token=token, state=empty)
    seed_portal(service.state)
    with EmulatorServer(service) as server:
        yield server


def test_a_real_portal_is_quiet_in_sync_and_drift_is_a_stage_made_in_a_declared_pipeline(
    tmp_path: Path, pulumi_home: Path, portal: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT / "examples" / "hubspot")
    pulumi.init_stack("dev", portal, token, namespace="hubspot")
    pulumi("up", "--yes", "--skip-preview")
    portal.log.reset()

    quiet = drift(pulumi)

    print(quiet.stdout)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert quiet.stdout.startswith("stack dev: in sync (")
    assert "hubspot deal pipeline 'Sales Pipeline' (4 stages)" in quiet.stdout
    assert "hubspot deal pipeline 'Partner Deals' (2 stages)" in quiet.stdout
    assert "hubspot ticket pipeline 'Support Pipeline' (4 stages)" in quiet.stdout
    assert portal.log.writes() == []
    counted = drift(pulumi, "--count-unmanaged")
    assert counted.returncode == 2, counted.stdout  # the option makes them count
    assert "drift in 3 places" in counted.stdout

    state: Any = portal.service.state  # type: ignore[attr-defined]
    [ours] = [p for p in state.pipelines.values() if p.label == "New Business"]
    made = {"label": "Closed Won", "displayOrder": 9, "metadata": {"probability": "1.0"}}
    evil = "Evil | [click](https://evil.example) @someone <img src=x>"
    path = f"/crm/pipelines/2026-09/deals/{ours.id}/stages"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=portal.base_url, headers=headers) as by_hand:
        assert by_hand.post(path, json={**made, "label": "Negotiation"}).status_code == 201
        assert by_hand.post(path, json={**made, "label": evil}).status_code == 201

    text = drift(pulumi)
    markdown = drift(pulumi, "--format", "markdown")

    print(text.stdout, markdown.stdout, sep="\n")
    assert (text.returncode, markdown.returncode) == (2, 2), text.stderr + markdown.stderr
    assert text.stdout.startswith("stack dev: drift in 2 places (")
    rows = [line for line in text.stdout.splitlines() if "(unexpected)" in line]
    assert len(rows) == 2, text.stdout
    assert all("hubspot deal pipeline 'New Business'" in row for row in rows)
    assert any("hubspot stage 'Negotiation'" in row for row in rows)
    assert "| `hubspot stage 'Negotiation'` | `hubspot deal pipeline 'New Business'` |" in (
        markdown.stdout
    )
    assert "`hubspot stage 'Evil \\| [click](https://evil.example) @someone <img src=x>'`" in (
        markdown.stdout
    )
    assert token not in text.stdout + text.stderr + markdown.stdout + markdown.stderr


def test_a_pipeline_adopted_with_no_stages_listed_leaves_them_out_of_drift(
    tmp_path: Path, pulumi_home: Path, portal: EmulatorServer, token: str
) -> None:
    """A pipeline adopted only to be kept (no stages listed: they are left as they are) is the
    stack's, and its stages are not drift: a nightly drift job stays quiet."""
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT / "examples" / "hubspot")
    adopted = "hubspot:\n  deals:\n    - name: Sales Pipeline\n      adopt: true\n"
    (pulumi.project / "stages.yaml").write_text(adopted)
    pulumi.init_stack("dev", portal, token, namespace="hubspot")
    pulumi("up", "--yes", "--skip-preview")
    assert portal.log.writes() == []

    quiet = drift(pulumi)

    print(quiet.stdout)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert quiet.stdout.startswith("stack dev: in sync (")
    assert "'Sales Pipeline'" not in quiet.stdout  # the stack's: neither drift nor unmanaged
    assert "hubspot deal pipeline 'Partner Deals' (2 stages)" in quiet.stdout


def test_a_rotated_token_needs_no_up_before_refresh_and_drift(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    """Outreach access tokens expire every two hours: the stack's config gets the new one, and
    `refresh --run-program` and `drift` work at once (a plain refresh would send the old token
    saved in state with the default provider's config)."""
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT / "examples" / "outreach")
    pulumi.init_stack("dev", outreach, token)
    pulumi("up", "--yes", "--skip-preview")
    service: Any = outreach.service
    rotated = f"{token}-rotated"
    service.oauth.add_access_token(rotated)
    service.oauth.revoke_access_token(token)
    pulumi("config", "set", "--secret", "outreach:accessToken", stdin=f"{rotated}\n")

    checked = drift(pulumi)  # first: a refresh with --run-program saves the new config
    stale = pulumi.run("refresh", "--yes")
    refreshed = pulumi.run("refresh", "--yes", "--run-program")

    print(stale.stdout[-600:], refreshed.stdout[-400:], checked.stdout, sep="\n")
    assert stale.returncode != 0 and "401" in stale.stdout  # why --run-program is needed
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == "stack dev: in sync (6 resources checked, no drift)\n"
    transcript = "".join(pulumi.transcript) + checked.stdout + checked.stderr
    assert token not in transcript and rotated not in transcript


def test_a_preview_the_stacks_guard_refuses_is_the_report_and_exits_1(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    """A stage the stack declares already exists, made by hand and not adopted: the preview is
    refused, and the report (text and markdown) says why instead of failing bare."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    made = {"data": {"type": "stage", "attributes": {"name": "Contacted", "order": 5}}}
    assert httpx.post(f"{outreach.base_url}/stages", json=made, headers=headers).status_code == 201
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT / "examples" / "outreach")
    pulumi.init_stack("dev", outreach, token)
    outreach.log.reset()

    text = drift(pulumi)
    markdown = drift(pulumi, "--format", "markdown")

    print(text.stdout, text.stderr, markdown.stdout, sep="\n")
    assert (text.returncode, markdown.returncode) == (1, 1)
    assert text.stdout.startswith("stack dev: the preview was refused, so drift was not checked\n")
    assert "Contacted" in text.stdout
    assert text.stderr == "error: the preview of stack dev was refused\n"
    assert markdown.stdout.startswith("### Drift check: stack `dev`: the preview was refused\n")
    assert "```text\n" in markdown.stdout and "Contacted" in markdown.stdout
    assert outreach.log.writes() == []
