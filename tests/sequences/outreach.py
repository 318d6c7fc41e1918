"""Outreach's world: one list of stages with name, key and colour; prospects."""

from __future__ import annotations

from typing import Any

from pulumi_stages.emulator import OutreachService
from pulumi_stages.emulator.server import LoggedRequest

from .machine import SequenceMachine
from .model import COLORS, NAMES, Container, StageModel, choose, retired_entry
from .stats import check


class OutreachMachine(SequenceMachine):
    adapter = "outreach"
    write_methods = ("POST", "PATCH", "DELETE")
    records_word = "prospects"
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
        return OutreachService(token=self.token)

    def initial(self) -> list[Container]:
        stages = [StageModel(n, color=c) for n, c in zip(NAMES[:3], COLORS, strict=False)]
        return [Container("outreach", stages=stages)]

    def spec(self) -> dict[str, Any]:
        (container,) = self.containers
        section: dict[str, Any] = {"adopt": self.adopt, "stages": []}
        for s in container.stages:
            entry: dict[str, Any] = {"name": s.name, "color": s.color}
            if s.key:
                entry["key"] = s.key
            section["stages"].append(entry)
        if container.retired:
            section["retired"] = [retired_entry(r) for r in container.retired]
        return {"outreach": section}

    def account(self) -> dict[str, list[dict[str, Any]]]:
        stages = self.server.service.state.listing()
        ordered = sorted(stages, key=lambda s: (s.order is None, s.order or 0, s.id))
        return {
            "outreach": [
                {"name": s.name, "id": str(s.id), "position": s.order, "color": s.color}
                for s in ordered
            ]
        }

    def check_fields(self, container: Container, live: list[dict[str, Any]]) -> None:
        colors = [s["color"] for s in live]
        check(
            colors == [s.color for s in container.stages],
            f"colours {colors} != declared {[s.color for s in container.stages]}",
        )

    def new_stage(self, container: Container, name: str, pick: int) -> StageModel:
        return StageModel(name, color=choose(list(COLORS), pick))

    def refield(self, stage: StageModel, pick: int) -> None:
        stage.color = choose([c for c in COLORS if c != stage.color], pick)

    def hand_create(self, container: Container, name: str) -> str:
        return str(self.server.service.state.create({"name": name, "order": 999}).id)

    def hand_rename(self, stage_id: str, name: str) -> None:
        self.server.service.state.update(int(stage_id), {"name": name})

    def hand_delete(self, stage_id: str) -> None:
        self.server.service.state.delete(int(stage_id))

    def hand_position(self, stage_id: str, position: int) -> None:
        self.server.service.state.update(int(stage_id), {"order": position})

    record_routes = ("/prospects/{id}",)

    def record_stage(self, record_id: str) -> str | None:
        prospect = self.server.service.state.prospects.get(int(record_id))
        return None if prospect is None or prospect.stage_id is None else str(prospect.stage_id)

    def make_foreign(self, pick: int) -> str:
        self.counter += 1
        name, order = f"Foreign {self.counter}", (pick * 41 + 15) % 121  # among the set's, maybe
        stage = self.server.service.state.create({"name": name, "order": order, "color": "#000"})
        self.foreign[f"stage:{stage.id}"] = self.foreign_view()[f"stage:{stage.id}"]
        return f"{name} ({stage.id}) at order {order}"

    def foreign_view(self) -> dict[str, Any]:
        return {
            f"stage:{s.id}": (s.name, s.color, s.order) for s in self.server.service.state.listing()
        }

    def created(self, entry: LoggedRequest) -> list[tuple[str, str]]:
        if entry.key != "POST /api/v2/stages" or not isinstance(entry.body, dict):
            return []
        return [("outreach", str(entry.body["data"]["attributes"].get("name")))]
