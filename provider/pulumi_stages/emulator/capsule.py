"""An emulator of Capsule CRM API v2 stages and boards: wrapper keys, Link paging, Capsule errors.

State and rules live in `CapsuleState` (no HTTP); `CapsuleService` renders the wire format and
routes. Guesses are marked `[guess]`; the ones a client could depend on are `CapsuleOptions`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .server import ADMIN_PREFIX

MAX_ACTIVE_BOARDS = 30
MAX_PER_PAGE = 100


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class CapsuleOptions:
    """Switches for undocumented behaviour."""

    unique_stage_names_per_board: bool = True  # [guess] api-notes: "name must be unique"
    delete_in_use_status: int = 422  # [guess] the status of a refused delete


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


@dataclass
class CapsuleState:
    """One account's boards and stages and the API's rules about them; thread-safe, no HTTP."""

    options: CapsuleOptions = field(default_factory=CapsuleOptions)
    boards: dict[int, Board] = field(default_factory=dict)
    stages: dict[int, StoredStage] = field(default_factory=dict)
    next_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)

    def _id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    def create_board(self, name: str, description: str | None = None) -> Board:
        """Add a board; at most 30 may be active."""
        if not isinstance(name, str) or not name.strip():
            raise validation_failed("name", "name is required", "board")
        with self.lock:
            if sum(1 for b in self.boards.values() if not b.archived) >= MAX_ACTIVE_BOARDS:
                raise validation_failed("board", "at most 30 active boards are allowed", "board")
            now = _now()
            board = Board(self._id(), name, description, now, now)
            self.boards[board.id] = board
            return board

    def board(self, id_: int) -> Board:
        """The board, or 404."""
        with self.lock:
            board = self.boards.get(id_)
        if board is None:
            raise not_found(f"board {id_}")
        return board

    def _check_stage(self, name: Any, description: Any, order: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise validation_failed("name", "name is required")
        if len(name) > 255:
            raise validation_failed("name", "name is too long (maximum is 255 characters)")
        if description is not None and not isinstance(description, str):
            raise validation_failed("description", "description must be text")
        if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
            raise validation_failed("displayOrder", "displayOrder must be a whole number")

    def _name_taken(self, board_id: int, name: str, except_id: int | None = None) -> bool:
        return self.options.unique_stage_names_per_board and any(
            s.board_id == board_id and s.name == name and s.id != except_id
            for s in self.stages.values()
        )

    def create_stage(self, body: dict[str, Any]) -> StoredStage:
        """Add a stage to a board; the board may be a bare id or `{"id": ...}` [guess: both]."""
        board_ref = body.get("board")
        board_id = board_ref.get("id") if isinstance(board_ref, dict) else board_ref
        if not isinstance(board_id, int):
            raise validation_failed("board", "board is required")
        name: Any = body.get("name")
        description, order = body.get("description"), body.get("displayOrder")
        self._check_stage(name, description, order)
        with self.lock:
            board = self.board(board_id)
            if board.archived:
                raise validation_failed("board", "board is archived")
            if self._name_taken(board_id, name):
                raise validation_failed("name", "name must be unique")
            if order is None:
                orders = [s.display_order for s in self.stages.values() if s.board_id == board_id]
                order = max(orders, default=0) + 1
            now = _now()
            stage = StoredStage(self._id(), name, description, board_id, order, now, now)
            self.stages[stage.id] = stage
            return stage

    def stage(self, id_: int) -> StoredStage:
        """The stage, or 404."""
        with self.lock:
            stage = self.stages.get(id_)
        if stage is None:
            raise not_found(f"stage {id_}")
        return stage

    def update_stage(self, id_: int, body: dict[str, Any]) -> StoredStage:
        """Change name, description and displayOrder; anything else is refused."""
        moved = set(body) - {"name", "description", "displayOrder"}
        if moved:
            field_name = sorted(moved)[0]
            raise validation_failed(field_name, f"{field_name} cannot be changed")
        with self.lock:
            stage = self.stage(id_)
            name = body.get("name", stage.name)
            description = body.get("description", stage.description)
            order = body.get("displayOrder", stage.display_order)
            self._check_stage(name, description, order)
            if self._name_taken(stage.board_id, name, except_id=id_):
                raise validation_failed("name", "name must be unique")
            stage.name, stage.description, stage.display_order = name, description, order
            stage.updated_at = _now()
            return stage

    def delete_stage(self, id_: int) -> None:
        """Remove a stage, refused while an open project uses it."""
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

    def stages_of(self, board_id: int | None, include_archived_boards: bool) -> list[StoredStage]:
        """Stages by board and display order."""
        with self.lock:
            stages = [
                s
                for s in self.stages.values()
                if (board_id is None or s.board_id == board_id)
                and (include_archived_boards or not self.boards[s.board_id].archived)
            ]
        return sorted(stages, key=lambda s: (s.board_id, s.display_order, s.id))

    def reset(self) -> None:
        """An empty account (ids keep counting, so two accounts never share them)."""
        with self.lock:
            self.boards.clear()
            self.stages.clear()

    def export_state(self) -> dict[str, Any]:
        """The account as plain JSON."""
        with self.lock:
            return {
                "next_id": self.next_id,
                "boards": [asdict(b) for b in self.boards.values()],
                "stages": [asdict(s) for s in self.stages.values()],
            }

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the account with one exported earlier."""
        with self.lock:
            self.boards = {b["id"]: Board(**b) for b in data.get("boards", [])}
            self.stages = {s["id"]: StoredStage(**s) for s in data.get("stages", [])}
            self.next_id = int(data.get("next_id", 1))


class CapsuleService:
    """The wire format and routes of Capsule's `/api/v2/stages` and `/api/v2/boards`."""

    name = "capsule"
    base_path = "/api/v2"
    rate_limit = 4_000  # per user per hour, as documented
    rate_window_seconds = 3600.0
    unmetered_paths: frozenset[str] = frozenset()

    def __init__(
        self,
        token: str,
        state: CapsuleState | None = None,
        admin: bool = True,
        site: str = "example",
    ) -> None:
        self.tokens = {token: admin}
        self.state = state or CapsuleState()
        self.site = site

    def reset(self) -> None:
        self.state.reset()

    def snapshot(self) -> Any:
        return {
            "boards": [self._board(b) for b in self.state.boards.values()],
            "stages": [self._stage(s) for s in self.state.stages_of(None, True)],
        }

    def export_state(self) -> dict[str, Any]:
        return self.state.export_state()

    def import_state(self, data: dict[str, Any]) -> None:
        self.state.import_state(data)

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        header = request.headers.get("Authorization", "")
        admin = self.tokens.get(header.removeprefix("Bearer ")) if header else None
        if admin is None:  # [guess] the body; 401 is documented
            return web.json_response({"message": "Invalid or expired access token"}, status=401)
        if request.method != "GET" and not admin:  # [guess] the body; 403 is documented
            return web.json_response(
                {"message": "This action needs the Administrator role"}, status=403
            )
        return None

    def error_response(self, status: int, retry_after: int | None) -> web.Response:
        if status == 429:
            response = web.json_response({"error": "rate limit reached"}, status=429)
        else:  # [guess] the body of server errors
            response = web.json_response({"message": "Internal Server Error"}, status=status)
        if retry_after is not None:  # Capsule documents none; only injected faults send one
            response.headers["Retry-After"] = str(retry_after)
        return response

    def routes(self) -> Iterable[web.RouteDef]:
        base = self.base_path
        wrap = self._wrap
        return [
            web.get(f"{base}/site", wrap(self.get_site)),
            web.get(f"{base}/stages", wrap(self.list_stages)),
            web.post(f"{base}/stages", wrap(self.create_stage)),
            web.get(f"{base}/stages/{{id}}", wrap(self.get_stage)),
            web.put(f"{base}/stages/{{id}}", wrap(self.update_stage)),
            web.delete(f"{base}/stages/{{id}}", wrap(self.delete_stage)),
            web.get(f"{base}/boards", wrap(self.list_boards)),
            web.post(f"{base}/boards", wrap(self.create_board)),
            web.get(f"{base}/boards/{{id}}", wrap(self.get_board)),
            web.delete(f"{base}/boards/{{id}}", wrap(self.archive_board)),
            web.post(f"{base}/boards/{{id}}/restore", wrap(self.restore_board)),
            web.get(f"{base}/boards/{{id}}/stages", wrap(self.list_board_stages)),
            web.put(f"{ADMIN_PREFIX}/capsule/stages/{{id}}/projects", wrap(self.set_projects)),
        ]

    async def set_projects(self, request: web.Request) -> web.Response:
        """Admin: how many open projects sit on a stage (0 once they are closed or moved)."""
        stage = self.state.stage(self._int(request, "stage"))
        body = json.loads(await request.read())
        with self.state.lock:
            stage.open_projects = int(body["open"])
        return web.Response(status=204)

    def _wrap(self, handler: Any) -> Any:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)  # type: ignore[no-any-return]
            except CapsuleError as error:
                return web.json_response(error.body, status=error.status)

        return wrapped

    @staticmethod
    def _int(request: web.Request, what: str) -> int:
        raw = request.match_info["id"]
        if not raw.isdigit():
            raise not_found(f"{what} {raw}")
        return int(raw)

    @staticmethod
    async def _body(request: web.Request, key: str) -> dict[str, Any]:
        try:
            body = json.loads(await request.read())
        except ValueError as exc:
            raise CapsuleError(400, {"message": "Body is not JSON"}) from exc
        inner = body.get(key) if isinstance(body, dict) else None
        if not isinstance(inner, dict):
            raise CapsuleError(400, {"message": f'Body must be {{"{key}": {{...}}}}'})
        return inner

    def _board(self, board: Board) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": board.id,
            "name": board.name,
            "createdAt": board.created_at,
            "updatedAt": board.updated_at,
        }
        if board.description is not None:
            rendered["description"] = board.description
        return rendered

    def _stage(self, stage: StoredStage) -> dict[str, Any]:
        board = self.state.boards.get(stage.board_id)
        rendered: dict[str, Any] = {
            "id": stage.id,
            "name": stage.name,
            "board": {"id": stage.board_id, "name": board.name if board else None},
            "displayOrder": stage.display_order,
            "createdAt": stage.created_at,
            "updatedAt": stage.updated_at,
        }
        if stage.description is not None:  # absent, not null, as in the vendor's example
            rendered["description"] = stage.description
        return rendered

    @staticmethod
    def _page(request: web.Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
        """One page of `items` and the RFC 5988 Link header for the others."""
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("perPage", "50"))
        except ValueError as exc:
            raise CapsuleError(400, {"message": "page and perPage must be numbers"}) from exc
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise CapsuleError(400, {"message": "perPage must be between 1 and 100"})
        start = (page - 1) * per_page
        links = []
        if start + per_page < len(items):
            following = request.url.update_query({"page": str(page + 1), "perPage": str(per_page)})
            links.append(f'<{following}>; rel="next"')
        if page > 1:
            previous = request.url.update_query({"page": str(page - 1), "perPage": str(per_page)})
            links.append(f'<{previous}>; rel="prev"')
        headers = {"Link": ", ".join(links)} if links else {}
        return items[start : start + per_page], headers

    def _archived_only(self, request: web.Request) -> bool:
        """Whether `status=archived` was asked. How a stage becomes archived is undocumented, so
        no emulated stage ever is [guess]: such listings are empty."""
        status = request.query.get("status", "active")
        if status not in ("active", "archived", "all"):
            raise CapsuleError(400, {"message": "status must be active, archived or all"})
        return status == "archived"

    async def get_site(self, _request: web.Request) -> web.Response:
        """The account: `{"site": {id, subdomain, name, url}}` [seen: public clients read
        `/site`; the field set is a guess]."""
        site = {
            "id": 1,
            "subdomain": self.site,
            "name": self.site.replace("-", " ").title(),
            "url": f"https://{self.site}.capsulecrm.com",
        }
        return web.json_response({"site": site})

    async def list_stages(self, request: web.Request) -> web.Response:
        archived_only = self._archived_only(request)
        include = request.query.get("includeOnDeletedBoard", "false") == "true"
        stages = [self._stage(s) for s in self.state.stages_of(None, include)]
        stages = [] if archived_only else stages
        page, headers = self._page(request, stages)
        return web.json_response({"stages": page}, headers=headers)

    async def list_board_stages(self, request: web.Request) -> web.Response:
        archived_only = self._archived_only(request)
        board = self.state.board(self._int(request, "board"))
        stages = [self._stage(s) for s in self.state.stages_of(board.id, True)]
        stages = [] if archived_only else stages
        page, headers = self._page(request, stages)
        return web.json_response({"stages": page}, headers=headers)

    def _created(
        self, request: web.Request, key: str, id_: int, rendered: dict[str, Any]
    ) -> web.Response:
        """201 with the wrapped object and its `Location`, as Capsule answers a create."""
        location = f"{request.scheme}://{request.host}{self.base_path}/{key}s/{id_}"
        return web.json_response({key: rendered}, status=201, headers={"Location": location})

    async def create_stage(self, request: web.Request) -> web.Response:
        stage = self.state.create_stage(await self._body(request, "stage"))
        return self._created(request, "stage", stage.id, self._stage(stage))

    async def get_stage(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"stage": self._stage(self.state.stage(self._int(request, "stage")))}
        )

    async def update_stage(self, request: web.Request) -> web.Response:
        id_ = self._int(request, "stage")
        stage = self.state.update_stage(id_, await self._body(request, "stage"))
        return web.json_response({"stage": self._stage(stage)})

    async def delete_stage(self, request: web.Request) -> web.Response:
        self.state.delete_stage(self._int(request, "stage"))
        return web.Response(status=204)

    async def list_boards(self, request: web.Request) -> web.Response:
        status = request.query.get("status", "active")
        query = (request.query.get("q") or "").lower()
        with self.state.lock:
            boards = sorted(self.state.boards.values(), key=lambda b: b.id)
            used = {s.board_id for s in self.state.stages.values()}
        boards = [
            b
            for b in boards
            if (status == "all")
            or (status == "active" and not b.archived)
            or (status == "archived" and b.archived)
            or (status == "nonempty" and not b.archived and b.id in used)
        ]
        if query:
            boards = [b for b in boards if query in b.name.lower()]
        page, headers = self._page(request, [self._board(b) for b in boards])
        return web.json_response({"boards": page}, headers=headers)

    async def create_board(self, request: web.Request) -> web.Response:
        body = await self._body(request, "board")
        board = self.state.create_board(body.get("name"), body.get("description"))  # type: ignore[arg-type]
        return self._created(request, "board", board.id, self._board(board))

    async def get_board(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"board": self._board(self.state.board(self._int(request, "board")))}
        )

    async def archive_board(self, request: web.Request) -> web.Response:
        board = self.state.board(self._int(request, "board"))
        board.archived = True
        return web.Response(status=204)

    async def restore_board(self, request: web.Request) -> web.Response:
        board = self.state.board(self._int(request, "board"))
        with self.state.lock:
            active = sum(1 for b in self.state.boards.values() if not b.archived)
            if active >= MAX_ACTIVE_BOARDS:
                raise validation_failed("board", "at most 30 active boards are allowed", "board")
            board.archived = False
        return web.json_response({"board": self._board(board)})
