"""HubSpot's world: a deal pipeline (probabilities change) and a ticket pipeline (OPEN or CLOSED
changes), with deals and tickets in their stages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_stages.emulator.hubspot import HubSpotService, StoredPipeline
from pulumi_stages.emulator.hubspot.objects import STANDARD
from pulumi_stages.emulator.server import LoggedRequest
from pulumi_stages.hubspot.api import PIPELINES_VERSION

from .machine import SequenceMachine
from .model import NAMES, Container, StageModel, choose, retired_entry
from .stats import STATS, check

PIPELINES = {"Sales": "deals", "Support": "tickets"}
"""The declared pipelines by label, and their object types."""
PROBABILITIES = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 0.0)
TICKET_STATES = ("OPEN", "CLOSED")


@dataclass
class DealStageModel(StageModel):
    """A declared deal stage: its probability is its field."""

    probability: float = 0.5


@dataclass
class TicketStageModel(StageModel):
    """A declared ticket stage: OPEN or CLOSED is its field."""

    ticket_state: str = "OPEN"


class HubSpotMachine(SequenceMachine):
    """A deal pipeline, "Sales", and a ticket pipeline, "Support", in a HubSpot portal."""

    adapter = "hubspot"
    write_methods = ("POST", "PATCH", "DELETE")
    records_word = "deals"
    stage_create_route = f"/crm/pipelines/{PIPELINES_VERSION}/{{objectType}}/{{pipelineId}}/stages"
    pipeline_create_route = f"/crm/pipelines/{PIPELINES_VERSION}/{{objectType}}"
    record_routes = ("/{objectType}/{recordId}",)
    covered = ("ticket records put",)
    TOUR = (
        "add_stage",
        "hand_put_records",
        "rename_with_key",
        "inject_fault",
        "up",
        "hand_add_foreign",
        "remove_refused",
        "hand_rename_stage",
        "remove_stage",
        "change_field",
        "inject_fault",
        "hand_add_declared_name",
        "up",
        "hand_delete_stage",
        "reorder",
        "hand_reorder_stage",
        "hand_add_foreign",
        "inject_fault",
        "up",
        "kill_up_then_recover",
        "adopt_export",
        "hand_put_records",
        "remove_holding",
        "add_stage",
        "inject_fault",
        "up",
        "hand_add_rename_target",
        "up",
        "remove_stage",
        "inject_fault",
    )

    def service(self) -> Any:
        return HubSpotService(token=self.token)

    def initial(self) -> list[Container]:
        deals: list[StageModel] = [
            DealStageModel(n, probability=p) for n, p in zip(NAMES[:3], PROBABILITIES, strict=False)
        ]
        tickets: list[StageModel] = [
            TicketStageModel("Lead"),
            TicketStageModel("Done", ticket_state="CLOSED"),
        ]
        return [Container("Sales", stages=deals), Container("Support", stages=tickets)]

    def spec(self) -> dict[str, Any]:
        section: dict[str, Any] = {"adopt": self.adopt, "deals": [], "tickets": []}
        for container in self.containers:
            pipeline: dict[str, Any] = {"name": container.name, "stages": []}
            for s in container.stages:
                if isinstance(s, DealStageModel):
                    entry: dict[str, Any] = {"name": s.name, "probability": s.probability}
                else:
                    assert isinstance(s, TicketStageModel)
                    entry = {"name": s.name, "ticket_state": s.ticket_state}
                if s.key:
                    entry["key"] = s.key
                pipeline["stages"].append(entry)
            if container.retired:
                pipeline["retired"] = [retired_entry(r) for r in container.retired]
            section[PIPELINES[container.name]].append(pipeline)
        return {"hubspot": section}

    def pipeline(self, label: str) -> StoredPipeline | None:
        state = self.server.service.state
        found = [p for p in state.list_pipelines(PIPELINES[label]) if p.label == label]
        check(len(found) <= 1, f"{len(found)} pipelines labelled {label!r}")
        return found[0] if found else None

    def account(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for label in PIPELINES:
            pipeline = self.pipeline(label)
            if pipeline is None:
                continue
            stages = sorted(pipeline.stages.values(), key=lambda s: (s.display_order, int(s.id)))
            found[label] = [
                {
                    "name": s.label,
                    "id": s.id,
                    "position": s.display_order,
                    "probability": float(s.metadata.get("probability", "nan")),
                    "ticket_state": s.metadata.get("ticketState"),
                }
                for s in stages
            ]
        return found

    def where(self, outputs: dict[str, Any]) -> str:
        return str(outputs.get("pipeline"))

    def check_fields(self, container: Container, live: list[dict[str, Any]]) -> None:
        if PIPELINES[container.name] == "deals":
            seen = [s["probability"] for s in live]
            declared: list[Any] = [getattr(s, "probability", None) for s in container.stages]
        else:
            seen = [s["ticket_state"] for s in live]
            declared = [getattr(s, "ticket_state", None) for s in container.stages]
        check(seen == declared, f"{container.name}: fields {seen} != declared {declared}")

    def new_stage(self, container: Container, name: str, pick: int) -> StageModel:
        if PIPELINES[container.name] == "tickets":
            return TicketStageModel(name, ticket_state=choose(list(TICKET_STATES), pick))
        return DealStageModel(name, probability=choose(list(PROBABILITIES), pick))

    def refield(self, stage: StageModel, pick: int) -> None:
        if isinstance(stage, TicketStageModel):
            stage.ticket_state = "CLOSED" if stage.ticket_state == "OPEN" else "OPEN"
            return
        assert isinstance(stage, DealStageModel)
        others = [p for p in PROBABILITIES if p != stage.probability]
        stage.probability = choose(others, pick)

    def home(self, stage_id: str) -> StoredPipeline:
        """The pipeline holding a stage."""
        state = self.server.service.state
        return next(p for p in state.pipelines.values() if stage_id in p.stages)

    def hand_create(self, container: Container, name: str) -> str:
        pipeline = self.pipeline(container.name)
        assert pipeline is not None
        metadata = {"probability": 0.5} if pipeline.object_type == "deals" else {}
        body = {"label": name, "displayOrder": 999, "metadata": metadata}
        state = self.server.service.state
        return str(state.create_stage(pipeline.object_type, pipeline.id, body).id)

    def hand_rename(self, stage_id: str, name: str) -> None:
        home = self.home(stage_id)
        self.server.service.state.update_stage(home.object_type, home.id, stage_id, {"label": name})

    def hand_delete(self, stage_id: str) -> None:
        home = self.home(stage_id)
        self.server.service.state.delete_stage(home.object_type, home.id, stage_id, validate=False)

    def hand_position(self, stage_id: str, position: int) -> None:
        home = self.home(stage_id)
        body = {"displayOrder": position}
        self.server.service.state.update_stage(home.object_type, home.id, stage_id, body)

    def make_records(self, stage_id: str, count: int, pick: int) -> list[str]:
        made = [str(i) for i in self.server.service.put_records(stage_id, count)]
        if self.home(stage_id).object_type == "tickets":
            STATS["ticket records put"] += count
        return made

    def record_stage(self, record_id: str) -> str | None:
        record = self.server.service.state.records.get(record_id)
        if record is None:
            return None
        return record.properties.get(STANDARD[record.object_type].stage_property) or None

    def make_foreign(self, pick: int) -> str:
        state = self.server.service.state
        self.counter += 1
        name = f"Foreign {self.counter}"
        declared = [p for label in PIPELINES if (p := self.pipeline(label)) is not None]
        if pick % 2 or not declared:
            stage = {"label": name, "displayOrder": 0, "metadata": {"probability": "0.5"}}
            body = {"label": f"Hand pipeline {self.counter}", "displayOrder": 9, "stages": [stage]}
            pipeline = state.create_pipeline("deals", body)
            self.foreign[f"pipeline:{pipeline.id}"] = None
            (made,) = pipeline.stages.values()
            where = f"new pipeline {pipeline.label}"
        else:
            pipeline = choose(declared, pick // 2)
            metadata = {"probability": 0.5} if pipeline.object_type == "deals" else {}
            body = {"label": name, "displayOrder": pick % 7, "metadata": metadata}
            made = state.create_stage(pipeline.object_type, pipeline.id, body)
            where = f"pipeline {pipeline.label}"
        self.foreign[f"stage:{made.id}"] = None
        view = self.foreign_view()
        self.foreign = {key: view[key] for key in self.foreign}
        return f"stage {name} ({made.id}) on {where}"

    def foreign_view(self) -> dict[str, Any]:
        view: dict[str, Any] = {}
        for pipeline in self.server.service.state.pipelines.values():
            view[f"pipeline:{pipeline.id}"] = (pipeline.label, pipeline.display_order)
            for stage in pipeline.stages.values():
                fields = sorted(stage.metadata.items())
                view[f"stage:{stage.id}"] = (stage.label, fields, stage.display_order, pipeline.id)
        return view

    def container_id(self, name: str, live: list[dict[str, Any]]) -> str:
        pipeline = self.pipeline(name)
        return f"pipeline:{pipeline.id}" if pipeline is not None else name

    def created(self, entry: LoggedRequest) -> list[tuple[str, str]]:
        body = entry.body if isinstance(entry.body, dict) else {}
        if entry.method != "POST":
            return []
        if entry.route == self.stage_create_route:
            pipeline_id = entry.path.rstrip("/").split("/")[-2]
            return [(f"pipeline {pipeline_id}", str(body.get("label")))]
        if entry.route == self.pipeline_create_route:
            label = str(body.get("label"))
            stages = [(f"new {label}", str(s.get("label"))) for s in body.get("stages") or []]
            return [("+", label), *stages]
        return []
