"""A HubSpot pipeline renamed in the file with its old name as `key` is renamed in place ([doc]
PipelinePatchInput.label: HubSpot renames a pipeline with one PATCH): one update, its stages and
their deals untouched; a repeated key is refused before any call."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.module_stack import fresh_stack_fixture, shared_stack_fixture

pytestmark = pytest.mark.e2e


shared = shared_stack_fixture(lambda t: HubSpotService(token=t), "hubspot")

stack = fresh_stack_fixture()


def use(stack: StackHarness, *pipelines: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("set", {"hubspot": {"deals": list(pipelines)}}) and None


STAGES = [{"name": "Lead", "probability": 0.1}, {"name": "Won", "probability": 1.0}]


def test_a_keyed_pipeline_rename_is_one_patch_and_keeps_its_stages(stack: StackHarness) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    use(stack, {"name": "Sales", "stages": STAGES})
    stack.up()
    (pipeline_id,) = service.state.made_pipelines()
    before = dict(service.live_stages())
    service.put_records(before["Lead"], 3)
    stack.emulator.log.reset()

    use(stack, {"name": "Revenue", "key": "Sales", "stages": STAGES})
    preview = stack.preview()
    summary = {getattr(k, "value", str(k)): v for k, v in preview.change_summary.items() if v}
    print(f"\nkeyed pipeline rename, preview: {summary}")
    assert summary["update"] == 1 and set(summary) == {"same", "update"}
    assert stack.emulator.log.writes() == []
    stack.up()
    writes = [(w.method, w.path, w.body) for w in stack.emulator.log.writes()]
    print(f"keyed pipeline rename, writes: {writes}")
    assert writes == [
        ("PATCH", f"/crm/pipelines/2026-09/deals/{pipeline_id}", {"label": "Revenue"})
    ]
    assert service.state.pipelines[pipeline_id].label == "Revenue"
    assert dict(service.live_stages()) == before and service.records_in(before["Lead"]) == 3
    stack.assert_no_changes()


def test_two_pipelines_with_one_key_are_refused_before_any_call(stack: StackHarness) -> None:
    use(
        stack,
        {"name": "Sales", "stages": STAGES},
        {"name": "Revenue", "key": "Sales", "stages": STAGES},
    )
    with pytest.raises(auto.CommandError) as refused:
        stack.preview()
    assert "duplicate pipeline key 'Sales'" in str(refused.value)
    assert stack.emulator.log.entries() == []
