"""`adopt: true` on one stage of a set, through the engine: the refusal's advice works as given."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e


def test_a_refused_duplicate_is_adopted_with_adopt_on_that_stage(stack: StackHarness) -> None:
    state = stack.emulator.service.state  # type: ignore[attr-defined]
    state.create({"name": "Lead", "color": "#ff0000", "order": 1})
    declared: dict[str, Any] = {"outreach": {"stages": [{"name": "Lead"}, {"name": "Won"}]}}

    def program() -> None:
        StageSet("sales", declared)

    stack.program = program
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    assert "set `adopt: true` on it (or its board, pipeline or section) in stages.yaml" in str(
        refused.value
    )
    declared["outreach"]["stages"][0]["adopt"] = True
    stack.up()
    assert stack.emulator.log.count("POST") == 1  # Won only: Lead was taken over
    assert sorted(s.name for s in state.listing()) == ["Lead", "Won"]
    stack.assert_no_changes()
