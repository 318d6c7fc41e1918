"""`pulumi refresh` of many stages reads one paginated listing, not one GET per stage."""

from __future__ import annotations

import math
import pickle
from typing import Any

import pytest

from tests.engine import Declared, StackHarness

pytestmark = pytest.mark.e2e

STAGES = 200
PAGE_SIZE = 100  # what the provider asks for


def test_refresh_of_200_stages_reads_a_listing(stack: StackHarness) -> None:
    stack.declared = [Declared(f"s{i}", f"Stage {i}", None, i) for i in range(STAGES)]
    pickler: Any = pickle._Pickler
    before = pickler._batch_setitems
    stack.up()
    assert stack.emulator.log.count("POST") == STAGES
    # The SDK wraps the pickler once per resource and never unwraps it; ApiResource restores it,
    # or a process declaring ~950 resources dies with RecursionError.
    assert pickler._batch_setitems is before

    hand_edited = stack.state_outputs()["s7"]["stage_id"]
    stack.emulator.service.state.update(hand_edited, {"name": "Edited by hand"})  # type: ignore[attr-defined]
    stack.refresh()

    gets = stack.emulator.log.count("GET")
    print(f"\nrefresh of {STAGES} stages: {dict(stack.emulator.log.counts())}")
    assert gets <= math.ceil(STAGES / PAGE_SIZE) + 2
    assert stack.emulator.log.writes() == []
    assert stack.state_outputs()["s7"]["name"] == "Edited by hand"
    assert len(stack.state_outputs()) == STAGES
