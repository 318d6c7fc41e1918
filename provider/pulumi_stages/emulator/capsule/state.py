"""A Capsule CRM account as the emulator keeps it: boards, stages, their rules, errors as data.

No HTTP here. Sources: developer.capsulecrm.com/v2/operations/Stage and /Board (fields, types,
list parameters), /v2/overview/handling-api-responses (errors, rate limits). Guesses are marked
[guess]; the ones a client could come to depend on are switches in `CapsuleOptions`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

MAX_ACTIVE_BOARDS = 30  # [doc] Board: at most 30 active boards
MAX_NAME = 255  # [guess] the length limit of a stage name
STAGE_FIELDS = ("name", "description", "displayOrder")  # [doc] PUT changes these only


def now_text() -> str:
    """The current time as the API writes timestamps."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class CapsuleOptions:
    """Switches for undocumented behaviour."""

    unique_stage_names_per_board: bool = False
    """[guess] the docs never say stage names are unique (only the 422 body's shape is documented,
    with "name must be unique" as our example), so by default an account may hold two stages of
    one name on a board, as the provider must expect; True refuses the second with that 422."""
    delete_in_use_status: int = 422  # [guess] the status of a refused delete


class StageStatus(StrEnum):
    """[doc] `status` of GET /stages and /boards/{id}/stages: active (default), archived, all."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    ALL = "all"


class CapsuleError(Exception):
    """An error Capsule answers with a JSON body of its own shape."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body


def validation_failed(field_name: str, message: str, resource: str = "stage") -> CapsuleError:
    """422 in the documented shape."""
    return CapsuleError(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"message": message, "resource": resource, "field": field_name}],
        },
    )


def bad_request(message: str) -> CapsuleError:
    """400 for a malformed request [doc: JSON body with a message; guess: the wording]."""
    return CapsuleError(400, {"message": message})


def not_found(what: str) -> CapsuleError:
    """404 with a message body [guess: the wording]."""
    return CapsuleError(404, {"message": f"Could not find {what}"})


@dataclass
class Board:
    """A board as the emulator keeps it."""

    id: int
    name: str
    description: str | None
    created_at: str
    updated_at: str
    archived: bool = False


@dataclass
class StoredStage:
    """A stage as the emulator keeps it."""

    id: int
    name: str
    description: str | None
    board_id: int
    display_order: int
    created_at: str
    updated_at: str
    open_projects: int = 0
    archived: bool = False


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class CapsuleState:
    """One account's boards and stages and the API's rules about them; thread-safe, no HTTP.

    Boards and stages take ids from separate sequences, as the vendor's examples show (stage 154
    on board 34), so a board id and a stage id can be equal, as in a real account.
    """

    options: CapsuleOptions = field(default_factory=CapsuleOptions)
    boards: dict[int, Board] = field(default_factory=dict)
    stages: dict[int, StoredStage] = field(default_factory=dict)
    next_board_id: int = 1
    next_stage_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)

    def _board_id(self) -> int:
        value, self.next_board_id = self.next_board_id, self.next_board_id + 1
        return value

    def _stage_id(self) -> int:
        value, self.next_stage_id = self.next_stage_id, self.next_stage_id + 1
        return value

    # Boards.

    def create_board(self, name: Any, description: Any = None) -> Board:
        """Add a board; at most 30 may be active."""
        if not isinstance(name, str) or not name.strip():
            raise validation_failed("name", "name is required", "board")
        if description is not None and not isinstance(description, str):
            raise validation_failed("description", "description must be text", "board")
        with self.lock:
            if self.active_boards() >= MAX_ACTIVE_BOARDS:
                raise validation_failed("board", "at most 30 active boards are allowed", "board")
            now = now_text()
            board = Board(self._board_id(), name, description, now, now)
            self.boards[board.id] = board
            return board

    def board(self, id_: int) -> Board:
        """The board, or 404."""
        with self.lock:
            board = self.boards.get(id_)
        if board is None:
            raise not_found(f"board {id_}")
        return board

    def active_boards(self) -> int:
        """How many boards are not archived."""
        with self.lock:
            return sum(1 for b in self.boards.values() if not b.archived)

    def archive_board(self, id_: int) -> Board:
        """[doc] DELETE /boards/{id} archives the board."""
        with self.lock:
            board = self.board(id_)
            board.archived = True
            return board

    def restore_board(self, id_: int) -> Board:
        """[doc] POST /boards/{id}/restore, within the 30 active boards."""
        with self.lock:
            board = self.board(id_)
            if board.archived and self.active_boards() >= MAX_ACTIVE_BOARDS:
                raise validation_failed("board", "at most 30 active boards are allowed", "board")
            board.archived = False
            return board

    # Stages.

    def _check_stage(self, body: dict[str, Any], creating: bool) -> None:
        """[doc] the Stage model's types: name and description text, displayOrder a number (a
        whole one in every example); a null where a value is required is refused like any other
        wrong type, so no listing ever has to sort a null. [guess] a null description clears it."""
        name = body.get("name")
        if (creating or "name" in body) and (not isinstance(name, str) or not name.strip()):
            raise validation_failed("name", "name is required")
        if isinstance(name, str) and len(name) > MAX_NAME:
            raise validation_failed("name", f"name is too long (maximum is {MAX_NAME} characters)")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise validation_failed("description", "description must be text")
        if "displayOrder" in body and not _whole(body["displayOrder"]):
            raise validation_failed("displayOrder", "displayOrder must be a whole number")

    def _name_taken(self, board_id: int, name: str, except_id: int | None = None) -> bool:
        return self.options.unique_stage_names_per_board and any(
            s.board_id == board_id and s.name == name and s.id != except_id and not s.archived
            for s in self.stages.values()
        )

    def create_stage(self, body: dict[str, Any]) -> StoredStage:
        """Add a stage to a board; the board may be a bare id or `{"id": ...}` [doc: a bare id in
        the example; guess: both]. The id is looked up among boards, never stages."""
        board_ref = body.get("board")
        board_id = board_ref.get("id") if isinstance(board_ref, dict) else board_ref
        if not isinstance(board_id, int) or isinstance(board_id, bool):
            raise validation_failed("board", "board is required")
        self._check_stage(body, creating=True)
        name: str = body["name"]
        with self.lock:
            board = self.board(board_id)
            if board.archived:
                raise validation_failed("board", "board is archived")
            if self._name_taken(board_id, name):
                raise validation_failed("name", "name must be unique")
            order = body.get("displayOrder")
            if order is None:  # [guess] an omitted position goes after the board's last stage
                orders = [s.display_order for s in self.stages.values() if s.board_id == board_id]
                order = max(orders, default=0) + 1
            now = now_text()
            stage = StoredStage(
                self._stage_id(), name, body.get("description"), board_id, order, now, now
            )
            self.stages[stage.id] = stage
            return stage

    def stage(self, id_: int) -> StoredStage:
        """The stage (archived ones too), or 404. The id is looked up among stages only."""
        with self.lock:
            stage = self.stages.get(id_)
        if stage is None:
            raise not_found(f"stage {id_}")
        return stage

    def update_stage(self, id_: int, body: dict[str, Any]) -> StoredStage:
        """Change name, description and displayOrder; anything else is refused ([doc] a stage
        cannot move to another board)."""
        moved = set(body) - set(STAGE_FIELDS)
        if moved:
            field_name = sorted(moved)[0]
            raise validation_failed(field_name, f"{field_name} cannot be changed")
        self._check_stage(body, creating=False)
        with self.lock:
            stage = self.stage(id_)
            name = body.get("name", stage.name)
            if self._name_taken(stage.board_id, name, except_id=id_):
                raise validation_failed("name", "name must be unique")
            stage.name = name
            stage.description = body.get("description", stage.description)
            stage.display_order = body.get("displayOrder", stage.display_order)
            stage.updated_at = now_text()
            return stage

    def delete_stage(self, id_: int) -> None:
        """Remove a stage, refused while an open project uses it [doc; guess: the status]."""
        with self.lock:
            stage = self.stage(id_)
            if stage.open_projects:
                raise CapsuleError(
                    self.options.delete_in_use_status,
                    {
                        "message": f"Stage is used by {stage.open_projects} open project(s); "
                        "move or close them before deleting the stage",
                    },
                )
            del self.stages[id_]

    def set_open_projects(self, id_: int, count: int) -> None:
        """How many open projects sit on a stage (0 once they are closed or moved)."""
        with self.lock:
            self.stage(id_).open_projects = count

    def archive_stage(self, id_: int, archived: bool = True) -> StoredStage:
        """Archive (or restore) a stage. [guess] how a stage becomes archived is undocumented
        (only the list filter `status=archived` is), so this is an admin operation."""
        with self.lock:
            stage = self.stage(id_)
            stage.archived = archived
            stage.updated_at = now_text()
            return stage

    def stages_of(
        self,
        board_id: int | None,
        status: StageStatus = StageStatus.ACTIVE,
        include_archived_boards: bool = False,
    ) -> list[StoredStage]:
        """Stages by board and display order: of one board (any state of board) or of every
        active board (and archived ones with `include_archived_boards`), filtered by status."""
        with self.lock:
            stages = [
                s
                for s in self.stages.values()
                if (
                    s.board_id == board_id
                    if board_id is not None
                    else include_archived_boards or not self.boards[s.board_id].archived
                )
                and (status is StageStatus.ALL or s.archived == (status is StageStatus.ARCHIVED))
            ]
        return sorted(stages, key=lambda s: (s.board_id, s.display_order, s.id))

    def live_stages(self) -> list[tuple[str, str]]:
        """(name, id) of each stage that is not archived, on an active board, by id: a name
        that appears twice is a duplicate a test can see."""
        with self.lock:
            live = [
                s
                for s in self.stages.values()
                if not s.archived and not self.boards[s.board_id].archived
            ]
        return [(s.name, str(s.id)) for s in sorted(live, key=lambda s: s.id)]

    def reset(self) -> None:
        """An empty account (ids keep counting, so two accounts never share them)."""
        with self.lock:
            self.boards.clear()
            self.stages.clear()

    def export_state(self) -> dict[str, Any]:
        """The account as plain JSON."""
        with self.lock:
            return {
                "next_board_id": self.next_board_id,
                "next_stage_id": self.next_stage_id,
                "boards": [asdict(b) for b in self.boards.values()],
                "stages": [asdict(s) for s in self.stages.values()],
            }

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the account with one exported earlier (also the older one-sequence form)."""
        with self.lock:
            self.boards = {b["id"]: Board(**b) for b in data.get("boards", [])}
            self.stages = {s["id"]: StoredStage(**s) for s in data.get("stages", [])}
            shared = int(data.get("next_id", 1))
            self.next_board_id = int(data.get("next_board_id", shared))
            self.next_stage_id = int(data.get("next_stage_id", shared))
