"""Capsule's world: two boards with descriptions and their stages; open and closed projects."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pulumi import automation as auto

from pulumi_stages.emulator import CapsuleService
from pulumi_stages.emulator.capsule import ProjectStatus
from pulumi_stages.emulator.server import LoggedRequest

from .invariants import writes_of
from .machine import SequenceMachine
from .model import BOARD_TEXTS, TEXTS, Container, StageModel, choose, retired_entry
from .stats import STATS, check, violated


class CapsuleMachine(SequenceMachine):
    adapter = "capsule"
    write_methods = ("POST", "PUT", "DELETE")
    records_word = "open projects"
    covered = ("closed records put", "refusals (board holding records)")
    TOUR = (
        "add_stage",
        "hand_put_records",
        "rename_with_key",
        "inject_fault",
        "up",
        "hand_add_foreign",
        "remove_refused",
        "move_to_other_board",
        "hand_archive_board",
        "change_board",
        "hand_rename_stage",
        "inject_fault",
        "up",
        "remove_stage",
        "change_field",
        "inject_fault",
        "hand_add_declared_name",
        "up",
        "hand_delete_stage",
        "reorder",
        "hand_reorder_stage",
        "hand_add_foreign",
        "kill_up_then_recover",
        "adopt_export",
        "hand_put_records",
        "remove_holding",
        "add_stage",
        "inject_fault",
        "up",
        "hand_add_rename_target",
        "up",
        "change_board_refused",
        "remove_stage",
        "inject_fault",
    )

    def __init__(self) -> None:
        self.boards_seen: dict[str, tuple[str, str | None]] = {}
        """Active board name -> (id, description), as the last look at the account found."""
        super().__init__()

    def service(self) -> Any:
        return CapsuleService(token=self.token)

    def initial(self) -> list[Container]:
        return [
            Container(
                "Delivery",
                BOARD_TEXTS[0],
                [
                    StageModel("Brief", description=TEXTS[0]),
                    StageModel("Build"),
                    StageModel("Done"),
                ],
            ),
            Container("Sales", None, [StageModel("Lead"), StageModel("Won", description=TEXTS[3])]),
        ]

    def spec(self) -> dict[str, Any]:
        boards = []
        for board in self.containers:
            entry: dict[str, Any] = {"name": board.name, "stages": []}
            if board.description is not None:
                entry["description"] = board.description
            for s in board.stages:
                stage: dict[str, Any] = {"name": s.name}
                if s.key:
                    stage["key"] = s.key
                if s.description is not None:
                    stage["description"] = s.description
                entry["stages"].append(stage)
            if board.retired:
                entry["retired"] = [retired_entry(r) for r in board.retired]
            boards.append(entry)
        return {"capsule": {"adopt": self.adopt, "boards": boards}}

    def account(self) -> dict[str, list[dict[str, Any]]]:
        state = self.server.service.state
        found: dict[str, list[dict[str, Any]]] = {}
        for board in sorted(state.boards.values(), key=lambda b: b.id):
            if board.archived:
                continue
            check(board.name not in found, f"two active boards named {board.name!r}")
            stages = [s for s in state.stages.values() if s.board_id == board.id and not s.archived]
            stages.sort(key=lambda s: (s.display_order, s.id))
            found[board.name] = [
                {
                    "name": s.name,
                    "id": str(s.id),
                    "position": s.display_order,
                    "description": s.description,
                    "board_id": str(board.id),
                    "board_description": board.description,
                }
                for s in stages
            ]
            self.boards_seen[board.name] = (str(board.id), board.description)
        return found

    def check_fields(self, container: Container, live: list[dict[str, Any]]) -> None:
        for stage, seen in zip(container.stages, live, strict=True):
            if stage.description is not None:
                check(
                    seen["description"] == stage.description,
                    f"{container.name}/{stage.name}: description {seen['description']!r} != "
                    f"{stage.description!r}",
                )
        board_id, description = self.boards_seen[container.name]
        if container.description is not None:
            check(
                description == container.description,
                f"board {container.name}: description {description!r} != {container.description!r}",
            )
        boards = self.state_boards
        check(
            boards.get(container.name) == board_id,
            f"board {container.name}: state id {boards.get(container.name)} != {board_id}",
        )

    def new_stage(self, container: Container, name: str, pick: int) -> StageModel:
        return StageModel(name, description=choose([None, *TEXTS], pick))

    def refield(self, stage: StageModel, pick: int) -> None:
        stage.description = choose([t for t in TEXTS if t != stage.description], pick)

    def can_hand_create(self, container: Container) -> bool:
        state = self.server.service.state
        return any(b.name == container.name and not b.archived for b in state.boards.values())

    def board_id(self, container: Container) -> int:
        state = self.server.service.state
        return next(
            b.id for b in state.boards.values() if b.name == container.name and not b.archived
        )

    def hand_create(self, container: Container, name: str) -> str:
        state = self.server.service.state
        return str(state.create_stage({"board": self.board_id(container), "name": name}).id)

    def hand_rename(self, stage_id: str, name: str) -> None:
        self.server.service.state.update_stage(int(stage_id), {"name": name})

    def hand_delete(self, stage_id: str) -> None:
        self.server.service.state.delete_stage(int(stage_id))

    def hand_position(self, stage_id: str, position: int) -> None:
        self.server.service.state.update_stage(int(stage_id), {"displayOrder": position})

    record_routes = ("/kases/{id}",)

    def records_in(self, stage_id: str) -> int:
        projects = self.server.service.state.project_listing()
        return sum(1 for p in projects if str(p.stage_id) == stage_id)

    def record_stage(self, record_id: str) -> str | None:
        project = self.server.service.state.projects.get(int(record_id))
        return None if project is None or project.stage_id is None else str(project.stage_id)

    def by_status(self, stage_id: str) -> list[str]:
        projects = self.server.service.state.project_listing()
        statuses = Counter(p.status.value.lower() for p in projects if str(p.stage_id) == stage_id)
        return [f"{n} {status}" for status, n in sorted(statuses.items())]

    def make_records(self, stage_id: str, count: int, pick: int) -> list[str]:
        """Some of them closed: a stage's closed projects must move with it too."""
        state = self.server.service.state
        made = [str(i) for i in state.put_projects(int(stage_id), count)]
        closed = made[: (self.raw[1] + 1) % (count + 1)]  # CI's first: one closed
        for project in closed:
            state.update_project(int(project), {"status": ProjectStatus.CLOSED.value})
        STATS["closed records put"] += len(closed)
        return made

    def make_foreign(self, pick: int) -> str:
        state = self.server.service.state
        self.counter += 1
        boards = [c for c in self.containers if self.can_hand_create(c)]
        if pick % 2 or not boards:
            board = state.create_board(f"Hand board {self.counter}", "Made by hand")
            self.foreign[f"board:{board.id}"] = None
            where = f"new board {board.name}"
        else:
            board = state.board(self.board_id(choose(boards, pick // 2)))
            where = f"board {board.name}"
        stage = state.create_stage({"board": board.id, "name": f"Foreign {self.counter}"})
        self.foreign[f"stage:{stage.id}"] = None
        view = self.foreign_view()
        self.foreign = {key: view[key] for key in self.foreign}
        return f"stage {stage.name} ({stage.id}) on {where}"

    def foreign_view(self) -> dict[str, Any]:
        state = self.server.service.state
        view: dict[str, Any] = {
            f"board:{b.id}": (b.name, b.description, b.archived) for b in state.boards.values()
        }
        for stage in state.stages.values():
            fields = (stage.name, stage.description, stage.display_order, stage.board_id)
            view[f"stage:{stage.id}"] = (*fields, stage.archived)
        return view

    def container_id(self, name: str, live: list[dict[str, Any]]) -> str:
        return f"board:{self.boards_seen[name][0]}" if name in self.boards_seen else name

    def created(self, entry: LoggedRequest) -> list[tuple[str, str]]:
        body = entry.body if isinstance(entry.body, dict) else {}
        if entry.key == "POST /api/v2/stages":
            stage = body.get("stage") or {}
            board = stage.get("board")
            board = board.get("id") if isinstance(board, dict) else board
            return [(f"board {board}", str(stage.get("name")))]
        if entry.key == "POST /api/v2/boards":
            board = body.get("board") or {}
            made = [("+", str(board.get("name")))]
            return made + [
                (f"new {board.get('name')}", str(s.get("name"))) for s in board.get("stages") or []
            ]
        return []

    # Capsule's own steps.

    def move_to_other_board(self, pick: int, where: int) -> None:
        """A move is a replace: only a stage that holds no records (one that gets records
        before the `up` is retired from its old board by `prepare`)."""
        live = {id_ for _, id_ in self.server.service.live_stages()}
        choices = []
        for source in self.containers:
            if len(source.stages) < 2:
                continue
            target = next(c for c in self.containers if c is not source)
            applied = self.applied.stages.get(source.name, {})
            for stage in source.stages:
                if self.pinned(source, stage):
                    continue
                held = applied.get(stage.identity)
                if held and held[1] in live and self.records_in(held[1]):
                    continue
                taken = self.taken(target)
                if stage.name in taken or stage.identity in taken:
                    continue
                choices.append((source, target, stage))
        if not choices:
            self.note("move: not applicable")
            return
        source, target, stage = choose(choices, pick)
        source.stages.remove(stage)
        target.stages.insert(where % (len(target.stages) + 1), stage)
        self.note(f"move: {source.name}/{stage.name} -> {target.name}")

    def change_board(self, pick: int, _: int) -> None:
        board = choose(self.containers, pick)
        board.description = choose([t for t in BOARD_TEXTS if t != board.description], pick // 3)
        self.note(f"board: {board.name} described anew")

    def change_board_refused(self, pick: int, _: int) -> None:
        """With nothing else pending, describing anew a board whose stages hold records stops
        the `up` before any write, naming the board and the counts (Capsule cannot edit a
        board: the replace would strand them); the model then takes the change back."""
        held = {
            board.name: [
                (name, id_, self.records_in(id_))
                for name, id_ in self.applied.stages.get(board.name, {}).values()
                if self.records_in(id_)
            ]
            for board in self.containers
        }
        choices = [board for board in self.containers if held[board.name]]
        if not choices or not self.clean():
            self.note("board change refused: not applicable")
            return
        board = choose(choices, pick)
        before = board.description
        board.description = choose([t for t in BOARD_TEXTS if t != before], pick // 3)
        self.note(f"board change refused: {board.name} holds records")
        stages = sorted(self.server.service.live_stages())
        self.requests = []
        try:
            self.engine(self.stack.up)
        except auto.CommandError as refused:
            text = str(refused)
            named = [
                f"stage {name!r} (id {id_}) holds {count} projects ({', '.join(by)})"
                for name, id_, count in held[board.name]
                if (by := self.by_status(id_))
            ]
            check(
                f"board {board.name!r}" in text and all(n in text for n in named),
                f"the refusal does not name board {board.name!r} and {named}:\n" + text[-2000:],
            )
        else:
            raise violated(f"a change of board {board.name!r} holding records was not refused")
        check(
            writes_of(self.requests) == [],
            f"a refused up wrote: {[e.key for e in writes_of(self.requests)]}",
        )
        check(sorted(self.server.service.live_stages()) == stages, "a refused up changed stages")
        STATS["refusals (board holding records)"] += 1
        board.description = before

    def hand_archive_board(self, pick: int, _: int) -> None:
        board = choose(self.containers, pick)
        if board.name not in self.applied.boards:
            self.note("hand archive: not applicable")
            return
        self.server.service.state.archive_board(int(self.applied.boards[board.name]))
        self.hand_dirty = True
        self.note(f"hand archive: {board.name}")

    def prepare_boards(self) -> None:
        for board in self.containers:
            before = self.applied.board_descriptions.get(board.name, board.description)
            if board.description == before:
                continue
            applied = self.applied.stages.get(board.name, {})
            if any(self.records_in(id_) for _, id_ in applied.values()):
                # refused (change_board_refused checks that); the model takes it back
                board.description = before
                STATS["board change taken back (records)"] += 1
                self.note(f"board back: {board.name} holds records")

    def replacing(self) -> bool:
        return any(
            board.description != self.applied.board_descriptions.get(board.name)
            for board in self.containers
        )

    def settle_boards(self, account: dict[str, list[dict[str, Any]]]) -> None:
        self.applied.boards = {name: seen[0] for name, seen in self.boards_seen.items()}
        self.applied.board_descriptions = {b.name: b.description for b in self.containers}
