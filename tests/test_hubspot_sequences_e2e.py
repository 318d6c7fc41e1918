"""Random sequences through the real engine for HubSpot: the machine of
`tests/test_random_sequences_e2e.py` over one deal pipeline, its stages' probabilities the field
that changes. Every step kind of the shared machine runs except `kill -9` of a plain `up` (the
shared step watches Outreach's paths; here it is noted as not applicable).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from pulumi_stages.emulator.hubspot import HubSpotService, StoredPipeline
from pulumi_stages.hubspot.api import PIPELINES_VERSION
from tests import test_random_sequences_e2e as seq

pytestmark = pytest.mark.e2e

PIPELINE = "Sales"
PROBABILITIES = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 0.0)


@dataclass
class DealStageModel(seq.StageModel):
    """A declared deal stage: its probability is its field."""

    probability: float = 0.5


class HubSpotMachine(seq.SequenceMachine):
    """One deal pipeline, "Sales", in a HubSpot portal."""

    adapter = "hubspot"
    write_methods = ("POST", "PATCH", "DELETE")
    records_word = "deals"
    stage_create_route = f"/crm/pipelines/{PIPELINES_VERSION}/{{objectType}}/{{pipelineId}}/stages"
    TOUR = (
        "add_stage",
        "hand_put_records",
        "rename_with_key",
        "inject_fault",
        "up",
        "remove_refused",
        "hand_rename_stage",
        "remove_stage",
        "change_field",
        "hand_add_declared_name",
        "inject_fault",
        "up",
        "hand_delete_stage",
        "reorder",
        "hand_reorder_stage",
        "up",
        "kill_up_then_recover",
        "hand_put_records",
        "up",
        "hand_add_rename_target",
        "up",
    )

    def service(self) -> Any:
        return HubSpotService(token=self.token)

    def initial(self) -> list[seq.Container]:
        stages: list[seq.StageModel] = [
            DealStageModel(n, probability=p)
            for n, p in zip(seq.NAMES[:3], PROBABILITIES, strict=False)
        ]
        return [seq.Container("hubspot", stages=stages)]

    def spec(self) -> dict[str, Any]:
        (container,) = self.containers
        pipeline: dict[str, Any] = {"name": PIPELINE, "stages": []}
        for s in container.stages:
            assert isinstance(s, DealStageModel)
            entry: dict[str, Any] = {"name": s.name, "probability": s.probability}
            if s.key:
                entry["key"] = s.key
            pipeline["stages"].append(entry)
        if container.retired:
            pipeline["retired"] = [seq.retired_entry(r) for r in container.retired]
        return {"hubspot": {"adopt": self.adopt, "deals": [pipeline]}}

    def pipeline(self) -> StoredPipeline | None:
        state = self.server.service.state
        found = [p for p in state.list_pipelines("deals") if p.label == PIPELINE]
        seq.check(len(found) <= 1, f"{len(found)} deal pipelines labelled {PIPELINE!r}")
        return found[0] if found else None

    def account(self) -> dict[str, list[dict[str, Any]]]:
        pipeline = self.pipeline()
        if pipeline is None:
            return {}
        stages = sorted(pipeline.stages.values(), key=lambda s: (s.display_order, int(s.id)))
        return {
            "hubspot": [
                {
                    "name": s.label,
                    "id": s.id,
                    "position": s.display_order,
                    "probability": float(s.metadata["probability"]),
                }
                for s in stages
            ]
        }

    def check_fields(self, container: seq.Container, live: list[dict[str, Any]]) -> None:
        seen = [s["probability"] for s in live]
        declared = [getattr(s, "probability", None) for s in container.stages]
        seq.check(seen == declared, f"probabilities {seen} != declared {declared}")

    def new_stage(self, name: str, pick: int) -> seq.StageModel:
        return DealStageModel(name, probability=seq.choose(list(PROBABILITIES), pick))

    def refield(self, stage: seq.StageModel, pick: int) -> None:
        assert isinstance(stage, DealStageModel)
        others = [p for p in PROBABILITIES if p != stage.probability]
        stage.probability = seq.choose(others, pick)

    def _pipeline_id(self) -> str:
        pipeline = self.pipeline()
        assert pipeline is not None
        return pipeline.id

    def hand_create(self, container: seq.Container, name: str) -> str:
        body = {"label": name, "displayOrder": 999, "metadata": {"probability": 0.5}}
        return self.server.service.state.create_stage("deals", self._pipeline_id(), body).id  # type: ignore[no-any-return]

    def hand_rename(self, stage_id: str, name: str) -> None:
        self.server.service.state.update_stage(
            "deals", self._pipeline_id(), stage_id, {"label": name}
        )

    def hand_delete(self, stage_id: str) -> None:
        self.server.service.state.delete_stage(
            "deals", self._pipeline_id(), stage_id, validate=False
        )

    def hand_position(self, stage_id: str, position: int) -> None:
        body = {"displayOrder": position}
        self.server.service.state.update_stage("deals", self._pipeline_id(), stage_id, body)


@pytest.fixture
def context(tmp_path: Path, pulumi_home: Path) -> Iterator[seq.Context]:
    seq.CONTEXT = seq.Context(pulumi_home, tmp_path)
    yield seq.CONTEXT
    seq.CONTEXT = None


def test_random_hubspot_sequences_converge(
    context: seq.Context, request: pytest.FixtureRequest
) -> None:
    seq.STATS.clear()
    seq.FOUND.clear()
    started = time.monotonic()
    context.deadline = started + seq.MINUTES * 60 if seq.MINUTES else None
    phases = list(Phase) if seq.SOAK else [Phase.explicit, Phase.reuse, Phase.generate]
    try:
        run_state_machine_as_test(
            HubSpotMachine,
            settings=settings(
                max_examples=seq.EXAMPLES,
                stateful_step_count=seq.STEPS or len(HubSpotMachine.TOUR) + 1,
                derandomize=not seq.SOAK,
                database=None,
                deadline=None,
                phases=phases,
                print_blob=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        seq.report(request, f"random sequences (hubspot, {'soak' if seq.SOAK else 'CI'})", started)
    assert seq.STATS["completed ups"] >= 5
