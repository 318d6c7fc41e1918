"""The HubSpot example as users run it: plain `pulumi` commands in `examples/hubspot`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from tests.engine import ROOT, PulumiCli

pytestmark = pytest.mark.e2e


@pytest.fixture
def hubspot(token: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(HubSpotService(token=token)) as server:
        yield server


def test_hubspot_example_declared_in_yaml(
    tmp_path: Path, pulumi_home: Path, hubspot: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT / "examples" / "hubspot")
    pulumi.init_stack("dev", hubspot, token, namespace="hubspot")
    pulumi("up", "--yes", "--skip-preview")
    counts = dict(hubspot.log.counts())
    assert counts["POST /crm/pipelines/2026-09/{objectType}"] == 2  # one per pipeline, stages in it
    assert "POST /crm/pipelines/2026-09/{objectType}/{pipelineId}/stages" not in counts
    state = hubspot.service.state  # type: ignore[attr-defined]
    by_label = {p.label: p for p in state.pipelines.values()}
    assert [s.label for s in by_label["New Business"].ordered()] == [
        "Discovery",
        "Demo Given",
        "Proposal Sent",
        "Closed Won",
        "Closed Lost",
    ]
    assert [s.metadata["ticketState"] for s in by_label["Support"].ordered()] == [
        "OPEN",
        "OPEN",
        "CLOSED",
    ]
    hubspot.log.reset()
    pulumi("preview", "--expect-no-changes")
    assert hubspot.log.writes() == []
