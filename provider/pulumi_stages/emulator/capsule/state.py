"""A Capsule CRM account as the emulator keeps it: boards, stages, the projects on them, their
rules, errors as data.

No HTTP here. Sources: developer.capsulecrm.com/v2/operations/Stage and /Board (fields, types,
list parameters), /v2/operations/Project and /v2/models/project (projects, called kases on the
wire), /v2/overview/handling-api-responses (errors, rate limits). Guesses are marked [guess]; the
ones a client could come to depend on are switches in `CapsuleOptions`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

DEFAULT_PARTY_ID = 1
"""The party a project made by `put_projects` belongs to [guess: the emulator keeps no parties,
so any party id is accepted]."""

MAX_ACTIVE_BOARDS = 30  # [doc] Board: at most 30 active boards
MAX_NAME = 255  # [guess] the length limit of a stage name
STAGE_FIELDS = ("name", "description", "displayOrder")  # [doc] PUT changes these only
PROJECT_FIELDS = (
    "name",
    "description",
    "party",
    "owner",
    "team",
    "status",
    "stage",
    "opportunity",
    "expectedCloseOn",
)
"""[doc] the writable fields of the Project model (id, createdAt, updatedAt, closedOn and
lastContactedAt are read only; tags and fields come through `embed`)."""


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
    project_owner_defaults_to_caller: bool = False
    """[doc] a project needs an owner and/or a team; [seen] a create with neither gets 422 "owner
    or team is required" (soil-dev/capsulemcp). True makes the caller its owner instead [guess]."""


class StageStatus(StrEnum):
    """[doc] `status` of GET /stages and /boards/{id}/stages: active (default), archived, all."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    ALL = "all"


class ProjectStatus(StrEnum):
    """[doc] Project model `status`: "Accepted values are: OPEN, CLOSED"."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


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
    archived: bool = False
    account: CapsuleState | None = field(default=None, repr=False, compare=False)
    """The account holding the stage, for `open_projects` (not part of its exported state)."""

    @property
    def open_projects(self) -> int:
        """How many open projects are on this stage. Setting it adds or closes projects, as the
        admin route `PUT stages/{id}/projects` does; kept for tests written when the emulator
        only counted projects (prefer `CapsuleService.put_records` and `records_in`)."""
        if self.account is None:
            return 0
        return len(self.account.open_projects_on(self.id))

    @open_projects.setter
    def open_projects(self, count: int) -> None:
        if self.account is None:
            raise ValueError("this stage belongs to no account")
        self.account.set_open_projects(self.id, count)

    def export(self) -> dict[str, Any]:
        """The stage as plain JSON."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "board_id": self.board_id,
            "display_order": self.display_order,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "archived": self.archived,
        }


@dataclass
class StoredProject:
    """A project (a kase on the wire) as the emulator keeps it [doc: the Project model]."""

    id: int
    name: str
    party_id: int
    created_at: str
    updated_at: str
    status: ProjectStatus = ProjectStatus.OPEN
    stage_id: int | None = None
    """The stage the project is on, or None (on no board)."""
    owner_id: int | None = None
    team_id: int | None = None
    description: str | None = None
    expected_close_on: str | None = None
    closed_on: str | None = None
    opportunity_id: int | None = None

    @property
    def is_open(self) -> bool:
        """Whether the project is OPEN."""
        return self.status is ProjectStatus.OPEN


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reference(body: dict[str, Any], key: str) -> tuple[bool, int | None]:
    """Whether `body` names `key` (a party, owner, team, stage or opportunity), and its id: a bare
    id or `{"id": ...}` ([doc] the create example sends `"stage": 149` and `"party": {"id": 892}`;
    [guess] both forms for each), or null to clear it."""
    if key not in body:
        return False, None
    value = body[key]
    if value is None:
        return True, None
    ref = value.get("id") if isinstance(value, dict) else value
    if not isinstance(ref, int) or isinstance(ref, bool):
        raise validation_failed(key, f"{key} must be an id", "kase")
    return True, ref


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


@dataclass
class CapsuleState:
    """One account's boards and stages and the API's rules about them; thread-safe, no HTTP.

    Boards and stages take ids from separate sequences, as the vendor's examples show (stage 154
    on board 34), so a board id and a stage id can be equal, as in a real account.
    """

    options: CapsuleOptions = field(default_factory=CapsuleOptions)
    boards: dict[int, Board] = field(default_factory=dict)
    stages: dict[int, StoredStage] = field(default_factory=dict)
    projects: dict[int, StoredProject] = field(default_factory=dict)
    next_board_id: int = 1
    next_stage_id: int = 1
    next_project_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)

    def _board_id(self) -> int:
        value, self.next_board_id = self.next_board_id, self.next_board_id + 1
        return value

    def _stage_id(self) -> int:
        value, self.next_stage_id = self.next_stage_id, self.next_stage_id + 1
        return value

    def _project_id(self) -> int:
        value, self.next_project_id = self.next_project_id, self.next_project_id + 1
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
            stage.account = self
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
        """Remove a stage, refused while an open project is on it [doc; guess: the status]. A
        closed project on it does not block the delete [guess]; it is left on no stage."""
        with self.lock:
            self.stage(id_)
            open_here = len(self.open_projects_on(id_))
            if open_here:
                raise CapsuleError(
                    self.options.delete_in_use_status,
                    {
                        "message": f"Stage is used by {open_here} open project(s); "
                        "move or close them before deleting the stage",
                    },
                )
            for project in self.projects.values():
                if project.stage_id == id_:
                    project.stage_id = None
            del self.stages[id_]

    # Projects.

    def _check_project(self, body: dict[str, Any], creating: bool) -> None:
        """[doc] Project model: name (required) and description text, status OPEN or CLOSED,
        expectedCloseOn a date; [guess] the wording, and refusing fields the model lacks."""
        unknown = sorted(set(body) - set(PROJECT_FIELDS) - {"tracks"})
        if unknown:
            raise validation_failed(unknown[0], f"{unknown[0]} is not a field of project", "kase")
        name = body.get("name")
        if (creating or "name" in body) and (not isinstance(name, str) or not name.strip()):
            raise validation_failed("name", "name is required", "kase")
        for key in ("description", "expectedCloseOn"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise validation_failed(key, f"{key} must be text", "kase")
        if "status" in body and body["status"] not in tuple(ProjectStatus):
            raise validation_failed("status", "status must be OPEN or CLOSED", "kase")

    def _stage_for_project(self, stage_id: int, board_id: int | None) -> StoredStage:
        """The stage a project is put on: it must exist and be active on an active board
        [guess: 422 otherwise], and stay on the project's board when it has one ([guess] a
        project moves between stages of its board; another board's stage is refused)."""
        stage = self.stages.get(stage_id)
        if stage is None:
            raise validation_failed("stage", f"stage {stage_id} does not exist", "kase")
        if stage.archived or self.boards[stage.board_id].archived:
            raise validation_failed("stage", f"stage {stage_id} is archived", "kase")
        if board_id is not None and stage.board_id != board_id:
            raise validation_failed("stage", "stage must be on the board the project is on", "kase")
        return stage

    def board_of(self, project: StoredProject) -> int | None:
        """The board a project is on: its stage's, or None."""
        with self.lock:
            stage = self.stages.get(project.stage_id) if project.stage_id is not None else None
            return None if stage is None else stage.board_id

    def create_project(self, body: dict[str, Any], user_id: int | None = None) -> StoredProject:
        """Add a project ([doc] party and name are required, and an owner and/or a team; status
        defaults to OPEN [seen: soil-dev/capsulemcp]; `stage` puts it on that stage's board)."""
        self._check_project(body, creating=True)
        _, party_id = _reference(body, "party")
        if party_id is None:
            raise validation_failed("party", "party is required", "kase")
        _, owner_id = _reference(body, "owner")
        _, team_id = _reference(body, "team")
        if owner_id is None and team_id is None:
            if not (self.options.project_owner_defaults_to_caller and user_id is not None):
                raise validation_failed("owner", "owner or team is required", "kase")
            owner_id = user_id
        _, stage_id = _reference(body, "stage")
        _, opportunity_id = _reference(body, "opportunity")
        status = ProjectStatus(body.get("status") or ProjectStatus.OPEN)
        with self.lock:
            if stage_id is not None:
                self._stage_for_project(stage_id, None)
            now = now_text()
            project = StoredProject(
                id=self._project_id(),
                name=body["name"],
                party_id=party_id,
                created_at=now,
                updated_at=now,
                status=status,
                stage_id=stage_id,
                owner_id=owner_id,
                team_id=team_id,
                description=body.get("description"),
                expected_close_on=body.get("expectedCloseOn"),
                closed_on=_today() if status is ProjectStatus.CLOSED else None,
                opportunity_id=opportunity_id,
            )
            self.projects[project.id] = project
            return project

    def project(self, id_: int) -> StoredProject:
        """The project, or 404."""
        with self.lock:
            project = self.projects.get(id_)
        if project is None:
            raise not_found(f"project {id_}")
        return project

    def update_project(self, id_: int, body: dict[str, Any]) -> StoredProject:
        """Change the fields given ([doc] "Fields not included in the request remain unchanged").
        `stage` moves the project to another stage of its board, or with null off every stage
        ([seen] soil-dev/capsulemcp); CLOSED sets closedOn, OPEN clears it; a closed project can
        still be moved ([seen] the same)."""
        self._check_project(body, creating=False)
        refs = {key: _reference(body, key) for key in ("party", "owner", "team", "stage")}
        with self.lock:
            project = self.project(id_)
            given, party_id = refs["party"]
            if given and party_id is None:
                raise validation_failed("party", "party is required", "kase")
            owner_given, owner_id = refs["owner"]
            team_given, team_id = refs["team"]
            owner = owner_id if owner_given else project.owner_id
            team = team_id if team_given else project.team_id
            if owner is None and team is None:
                raise validation_failed("owner", "owner or team is required", "kase")
            stage_given, stage_id = refs["stage"]
            if stage_given and stage_id is not None and stage_id != project.stage_id:
                self._stage_for_project(stage_id, self.board_of(project))
            if given and party_id is not None:
                project.party_id = party_id
            project.owner_id, project.team_id = owner, team
            if stage_given:
                project.stage_id = stage_id
            if "name" in body:
                project.name = body["name"]
            for key, attribute in (
                ("description", "description"),
                ("expectedCloseOn", "expected_close_on"),
            ):
                if key in body:
                    setattr(project, attribute, body[key])
            if "status" in body:
                status = ProjectStatus(body["status"])
                if status is not project.status:
                    project.closed_on = _today() if status is ProjectStatus.CLOSED else None
                project.status = status
            project.updated_at = now_text()
            return project

    def delete_project(self, id_: int) -> None:
        """[doc] DELETE /kases/{id}: 204."""
        with self.lock:
            self.project(id_)
            del self.projects[id_]

    def project_listing(self) -> list[StoredProject]:
        """Every project, by id [guess: the order of GET /kases]."""
        with self.lock:
            return sorted(self.projects.values(), key=lambda p: p.id)

    def open_projects_on(self, stage_id: int) -> list[StoredProject]:
        """The open projects on a stage, by id."""
        with self.lock:
            return [p for p in self.project_listing() if p.stage_id == stage_id and p.is_open]

    def put_projects(self, stage_id: int, count: int) -> list[int]:
        """Add `count` new open projects to a stage (404 if there is none; archived stages too),
        owned by user 1, for party 1; their ids."""
        if count < 0:
            raise bad_request("count must be 0 or more")
        with self.lock:
            self.stage(stage_id)
            made = []
            for _ in range(count):
                now = now_text()
                number = self._project_id()
                self.projects[number] = StoredProject(
                    id=number,
                    name=f"Project {number}",
                    party_id=DEFAULT_PARTY_ID,
                    created_at=now,
                    updated_at=now,
                    stage_id=stage_id,
                    owner_id=1,
                )
                made.append(number)
            return made

    def set_open_projects(self, id_: int, count: int) -> None:
        """Make exactly `count` open projects sit on a stage: add new ones, or close the newest
        (so 0 closes them all, and the stage can be deleted)."""
        with self.lock:
            here = self.open_projects_on(self.stage(id_).id)
            if count > len(here):
                self.put_projects(id_, count - len(here))
            for project in here[count:]:
                self.update_project(project.id, {"status": ProjectStatus.CLOSED.value})

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
            self.projects.clear()

    def export_state(self) -> dict[str, Any]:
        """The account as plain JSON."""
        with self.lock:
            return {
                "next_board_id": self.next_board_id,
                "next_stage_id": self.next_stage_id,
                "next_project_id": self.next_project_id,
                "boards": [asdict(b) for b in self.boards.values()],
                "stages": [s.export() for s in self.stages.values()],
                "projects": [asdict(p) for p in self.projects.values()],
            }

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the account with one exported earlier (also the older forms: one id sequence,
        and stages that only counted their open projects)."""
        with self.lock:
            self.boards = {b["id"]: Board(**b) for b in data.get("boards", [])}
            counted: dict[int, int] = {}
            self.stages = {}
            for record in data.get("stages", []):
                fields = dict(record)
                if fields.pop("open_projects", 0):
                    counted[fields["id"]] = int(record["open_projects"])
                stage = StoredStage(**fields)
                stage.account = self
                self.stages[stage.id] = stage
            self.projects = {}
            for record in data.get("projects", []):
                project = StoredProject(**record)
                project.status = ProjectStatus(project.status)
                self.projects[project.id] = project
            shared = int(data.get("next_id", 1))
            self.next_board_id = int(data.get("next_board_id", shared))
            self.next_stage_id = int(data.get("next_stage_id", shared))
            known = max(self.projects, default=0) + 1
            self.next_project_id = max(int(data.get("next_project_id", 1)), known)
            for stage_id, count in counted.items():
                self.put_projects(stage_id, count)
