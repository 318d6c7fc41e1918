"""[doc] A HubSpot pipeline keeps at least one stage: the emulator refuses a pipeline with no
stages and the delete of a pipeline's last stage. Destroying a pipeline with its stages still
works (the last stage is left to the pipeline's delete); removing the last stage of a pipeline
the stack keeps stops with a clear error and deletes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.hubspot import DealStage, Pipeline
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e

DEALS = "/crm/pipelines/2026-09/deals"
DECLARED = [("Lead", 10, 0.1), ("Demo", 20, 0.4)]


@pytest.fixture
def stack(tmp_path: Path, pulumi_home: Path, token: str) -> Iterator[StackHarness]:
    with EmulatorServer(HubSpotService(token=token)) as server:
        harness = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="hubspot")
        yield harness
        harness.remove()


def declare(stages: list[tuple[str, int, float]]) -> None:
    seed = [{"name": n, "display_order": o, "probability": p} for n, o, p in DECLARED]
    sales = Pipeline("sales", name="Sales", seed=seed)
    for name, order, probability in stages:
        DealStage(
            name.lower(),
            name=name,
            pipeline="Sales",
            pipeline_id=sales.pipeline_id,
            probability=probability,
            display_order=order,
        )


def test_the_emulator_keeps_at_least_one_stage_per_pipeline(
    stack: StackHarness, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.emulator.base_url, headers=headers) as http:
        empty = http.post(DEALS, json={"label": "Empty", "displayOrder": 0, "stages": []})
        assert empty.status_code == 400 and empty.json()["category"] == "VALIDATION_ERROR"
        stage = {"label": "Only", "displayOrder": 0, "metadata": {"probability": "0.1"}}
        made = http.post(DEALS, json={"label": "One", "displayOrder": 0, "stages": [stage]})
        pipeline = made.json()
        only = f"{DEALS}/{pipeline['id']}/stages/{pipeline['stages'][0]['id']}"
        refused = http.delete(only)
        assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
        assert http.delete(f"{DEALS}/{pipeline['id']}").status_code == 204
        assert http.get(only).status_code == 404


def test_destroy_leaves_the_last_stage_to_the_pipeline_delete(stack: StackHarness) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    stack.program = lambda: declare(DECLARED)
    stack.up()
    assert sorted(n for n, _ in service.live_stages()) == ["Demo", "Lead"]
    stack.destroy()
    assert service.state.made_pipelines() == {}
    assert service.state.defaults_intact()


def test_removing_the_last_stage_of_a_kept_pipeline_is_refused_clearly(
    stack: StackHarness,
) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    stack.program = lambda: declare(DECLARED[:1])
    stack.up()
    demo = dict(service.live_stages())["Demo"]
    service.state.delete_stage("deals", next(iter(service.state.made_pipelines())), demo, False)
    stack.program = lambda: declare([])
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    assert "a HubSpot pipeline keeps at least one stage" in str(refused.value)
    assert [n for n, _ in service.live_stages()] == ["Lead"]
