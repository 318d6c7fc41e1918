"""`pulumi refresh` of many stages reads one paginated listing, not one GET per stage."""

from __future__ import annotations

import math
import pickle
from typing import Any

import pytest

from pulumi_stages.outreach.api import LISTING_PAGE_SIZE
from tests.engine import Declared, StackHarness

pytestmark = pytest.mark.e2e

STAGES = 300


def test_refresh_of_300_stages_reads_a_listing(stack: StackHarness) -> None:
    stack.declared = [Declared(f"s{i}", f"Stage {i}", None, i) for i in range(STAGES)]
    pickler: Any = pickle._Pickler
    before = pickler._batch_setitems
    stack.up()
    assert stack.emulator.log.count("POST") == STAGES
    # The SDK wraps the pickler once per resource and never unwraps it; ApiResource restores it,
    # or a process declaring ~950 resources dies with RecursionError.
    assert pickler._batch_setitems is before

    state: Any = stack.emulator.service.state  # type: ignore[attr-defined]
    [hand_edited] = [s.id for s in state.listing() if s.name == "Stage 7"]  # s7's, no export run
    state.update(hand_edited, {"name": "Edited by hand"})
    stack.refresh()

    gets = stack.emulator.log.count("GET")
    print(f"\nrefresh of {STAGES} stages: {dict(stack.emulator.log.counts())}")
    assert gets <= math.ceil(STAGES / LISTING_PAGE_SIZE) + 2  # 2 direct reads, then 2 pages
    assert stack.emulator.log.writes() == []
    outputs = stack.state_outputs()  # one export for both checks
    assert outputs["s7"]["name"] == "Edited by hand"
    assert outputs["s7"]["stage_id"] == hand_edited
    assert len(outputs) == STAGES
