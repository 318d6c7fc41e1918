"""`adopt: true` under one board or pipeline of stages.yaml adopts that container and its stages
only, and on one stage that stage only (the section's `adopt` still adopts all). The program
side: Pulumi's mocks record the inputs each resource is declared with; no provider runs here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import reset_options

from pulumi_stages.stageset import StageSet
from pulumi_stages.stageset.source import load_text

STAGES = """\
hubspot:
  deals:
    - name: Made By Hand
      adopt: true
      stages:
        - name: Discovery
          probability: 0.1
    - name: New Business
      stages:
        - name: Demo
          probability: 0.3
          adopt: true
        - name: Closed
          probability: 1.0
capsule:
  boards:
    - name: Old Board
      adopt: true
      stages:
        - name: Brief
    - name: New Board
      stages:
        - name: Plan
outreach:
  stages:
    - name: Lead
      adopt: true
    - name: Won
"""


class _Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.adopting: set[str] = set()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.inputs.get("adopt"):
            self.adopting.add(args.name)
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[str]]:
        return {}, []


def resources(crm: StageSet) -> list[pulumi.CustomResource]:
    found = [*crm.hubspot_pipelines.values(), *crm.capsule_boards.values()]
    found += crm.outreach_stages.values()
    for stages in (*crm.hubspot_stages.values(), *crm.capsule_stages.values()):
        found += stages.values()
    return found


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    mocks = _Recorder()
    pulumi.runtime.set_mocks(mocks, preview=True)
    try:
        yield mocks
    finally:
        reset_options()  # no mock monitor is left for another test of this process


def test_adopt_under_a_container_or_a_stage_adopts_only_that(recorder: _Recorder) -> None:
    @pulumi.runtime.test  # type: ignore[misc]
    def declare() -> pulumi.Output[Any]:
        crm = StageSet("crm", load_text(STAGES, "stages.yaml"))
        return pulumi.Output.all(*[r.id for r in resources(crm)])

    declare()
    assert recorder.adopting == {
        "crm/hubspot/deals/Made By Hand",
        "crm/hubspot/deals/Made By Hand/Discovery",
        "crm/capsule/Old Board",
        "crm/capsule/Old Board/Brief",
        "crm/hubspot/deals/New Business/Demo",
        "crm/outreach/Lead",
    }
