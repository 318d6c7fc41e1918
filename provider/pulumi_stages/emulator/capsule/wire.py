"""Capsule CRM API v2 stages, boards and projects on the wire: wrapper keys, Link paging, Capsule's
errors.

The account and its rules live in `state.py`, the project filter in `filters.py`; this module
parses requests, renders responses and maps routes. [doc] developer.capsulecrm.com/v2
(operations/Stage, operations/Board, operations/Project, operations/Filter,
overview/handling-api-responses); [guess] where it is silent.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..faults import RateWindow
from ..server import ADMIN_PREFIX, x_ratelimit_headers
from .filters import parse_filter, run_filter
from .state import (
    Board,
    CapsuleError,
    CapsuleState,
    StageStatus,
    StoredProject,
    StoredStage,
    bad_request,
    not_found,
)

MAX_PER_PAGE = 100  # [doc] perPage between 1 and 100, default 50
DEFAULT_PER_PAGE = 50
ADMIN = f"{ADMIN_PREFIX}/capsule"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _admin_field(raw: bytes, name: str) -> Any:
    """One field of an admin request's JSON body (None when absent or not JSON)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None


@dataclass(frozen=True)
class CapsuleUser:
    """Whom a token acts for: the rate budget is theirs, writes need the Administrator role."""

    user_id: int = 1
    admin: bool = True


class CapsuleService:
    """The wire format and routes of Capsule's `/api/v2/stages`, `/boards` and `/site`."""

    name = "capsule"
    base_path = "/api/v2"
    rate_limit = 4_000  # [doc] handling-api-responses: 4,000 requests per user per hour
    rate_window_seconds = 3600.0
    auth_paths: frozenset[str] = frozenset()  # Capsule's OAuth grant is not emulated
    read_routes = frozenset({"/api/v2/kases/filters/results"})  # [doc] a search, sent as POST

    def __init__(
        self,
        token: str,
        state: CapsuleState | None = None,
        admin: bool = True,
        site: str = "example",
    ) -> None:
        self.tokens: dict[str, CapsuleUser] = {token: CapsuleUser(1, admin)}
        self.state = state or CapsuleState()
        self.site = site

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """`--site`: the account's subdomain, as `GET /site` names it."""
        parser.add_argument(
            "--site",
            default="example",
            help="the site (account) subdomain that GET /site names",
        )

    @classmethod
    def from_arguments(cls, token: str, args: argparse.Namespace) -> CapsuleService:
        """An emulator accepting `token`, for the site `--site` names."""
        return cls(token=token, site=getattr(args, "site", "example"))

    def add_token(self, token: str, admin: bool = True, user_id: int = 1) -> None:
        """Accept another token, for `user_id`, with or without the Administrator role."""
        self.tokens[token] = CapsuleUser(user_id, admin)

    def reset(self) -> None:
        self.state.reset()

    def snapshot(self) -> Any:
        return {
            "boards": [self._board(b) for b in self.state.boards.values()],
            "stages": [self._stage(s) for s in self.state.stages_of(None, StageStatus.ALL, True)],
            "kases": [self._project(p) for p in self.state.project_listing()],
        }

    def live_stages(self) -> list[tuple[str, str]]:
        return self.state.live_stages()

    # Records in stages, for tests.

    def records_in(self, stage_id: str) -> int:
        """How many open projects are on the stage now (0 for a stage that is gone)."""
        return len(self.state.open_projects_on(int(stage_id)))

    def put_records(self, stage_id: str, count: int) -> list[str]:
        """Add `count` new open projects to the stage; their ids."""
        return [str(i) for i in self.state.put_projects(int(stage_id), count)]

    def export_state(self) -> dict[str, Any]:
        return self.state.export_state()

    def import_state(self, data: dict[str, Any]) -> None:
        self.state.import_state(data)

    # Authentication and the rate budget's key.

    def _user(self, request: web.Request) -> CapsuleUser | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return self.tokens.get(header.removeprefix("Bearer "))

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        user = self._user(request)
        if user is None:  # [doc] 401 for an invalid or expired token; [guess] the body
            return web.json_response({"message": "Invalid or expired access token"}, status=401)
        if request.method != "GET" and not user.admin and self._settings(request.path):
            # [doc] the Stage and Board operations need the Administrator role; projects (and
            # a filter query, a read sent as POST) need none
            return web.json_response(
                {"message": "This action needs the Administrator role"}, status=403
            )
        return None

    def _settings(self, path: str) -> bool:
        """Whether a path is one of the account's settings (stages, boards)."""
        first = path.removeprefix(self.base_path).lstrip("/").split("/", 1)[0]
        return first in ("stages", "boards")

    def rate_key(self, request: web.Request) -> str:
        """[doc] "each Capsule user can make up to 4,000 requests per hour"."""
        user = self._user(request)
        return f"user:{user.user_id if user is not None else 'anonymous'}"

    def error_response(
        self, status: int, retry_at: float | None, window: RateWindow | None
    ) -> web.Response:
        if status == 429:  # [doc] this body, and no Retry-After: clients wait for the reset
            response = web.json_response({"error": "rate limit reached"}, status=429)
        else:  # [guess] the body of server errors
            response = web.json_response({"message": "Internal Server Error"}, status=status)
        if retry_at is not None and window is None:  # none documented; a fault may ask for one
            response.headers["Retry-After"] = str(max(0, math.ceil(retry_at - time.time())))
        return response

    def rate_headers(self, window: RateWindow) -> dict[str, str]:
        """[doc] X-RateLimit-Limit, -Remaining, -Reset (UTC epoch seconds)."""
        return x_ratelimit_headers(window)

    def route_error(self, request: web.Request, status: int) -> web.Response:
        """[doc] every error body is JSON; [guess] the wording."""
        if status == 405:
            message = f"{request.method} is not allowed on {request.path}"
        else:
            message = f"No such resource: {request.path}"
        return web.json_response({"message": message}, status=status)

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
            web.get(f"{base}/kases", wrap(self.list_projects)),
            web.post(f"{base}/kases", wrap(self.create_project)),
            web.post(f"{base}/kases/filters/results", wrap(self.filter_projects)),
            web.get(f"{base}/kases/{{id}}", wrap(self.get_project)),
            web.put(f"{base}/kases/{{id}}", wrap(self.update_project)),
            web.delete(f"{base}/kases/{{id}}", wrap(self.delete_project)),
            web.get(f"{ADMIN}/stages/{{id}}/projects", wrap(self.projects_on_stage)),
            web.post(f"{ADMIN}/stages/{{id}}/projects", wrap(self.add_projects)),
            web.put(f"{ADMIN}/stages/{{id}}/projects", wrap(self.set_projects)),
            web.post(f"{ADMIN}/stages/{{id}}/archive", wrap(self.archive_stage)),
            web.post(f"{ADMIN}/stages/{{id}}/restore", wrap(self.restore_stage)),
        ]

    def _wrap(self, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except CapsuleError as error:
                return web.json_response(error.body, status=error.status)

        return wrapped

    # Admin operations (not part of the API).

    async def set_projects(self, request: web.Request) -> web.Response:
        """Admin: make `{"open": N}` open projects sit on a stage, adding new ones or closing
        the newest (`{"open": 0}` closes them all)."""
        count = _admin_field(await request.read(), "open")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise bad_request('Expected {"open": <whole number>}')
        self.state.set_open_projects(self._int(request, "stage"), count)
        return web.Response(status=204)

    async def add_projects(self, request: web.Request) -> web.Response:
        """Admin: add `{"count": N}` new open projects to a stage; 201 `{"ids": [...]}`."""
        count = _admin_field(await request.read(), "count")
        if not isinstance(count, int) or isinstance(count, bool):
            raise bad_request('Expected {"count": <whole number>}')
        ids = self.state.put_projects(self._int(request, "stage"), count)
        return web.json_response({"ids": ids}, status=201)

    async def projects_on_stage(self, request: web.Request) -> web.Response:
        """Admin: `{"open": N, "ids": [...]}` of the open projects on a stage."""
        ids = [p.id for p in self.state.open_projects_on(self._int(request, "stage"))]
        return web.json_response({"open": len(ids), "ids": ids})

    async def archive_stage(self, request: web.Request) -> web.Response:
        """Admin: archive a stage [guess: how a stage becomes archived is undocumented]."""
        stage = self.state.archive_stage(self._int(request, "stage"))
        return web.json_response({"stage": self._stage(stage)})

    async def restore_stage(self, request: web.Request) -> web.Response:
        """Admin: make an archived stage active again."""
        stage = self.state.archive_stage(self._int(request, "stage"), archived=False)
        return web.json_response({"stage": self._stage(stage)})

    # Parsing.

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
            raise bad_request("Body is not JSON") from exc
        inner = body.get(key) if isinstance(body, dict) else None
        if not isinstance(inner, dict):
            raise bad_request(f'Body must be {{"{key}": {{...}}}}')
        return inner

    @staticmethod
    def _boolean(request: web.Request, name: str, default: bool) -> bool:
        """A Boolean query parameter [doc: Boolean, e.g. includeOnDeletedBoard; guess: true and
        false in any case, anything else a 400]."""
        raw = request.query.get(name)
        if raw is None:
            return default
        if raw.lower() not in ("true", "false"):
            raise bad_request(f"{name} must be true or false")
        return raw.lower() == "true"

    @staticmethod
    def _status(request: web.Request) -> StageStatus:
        raw = request.query.get("status", StageStatus.ACTIVE.value)
        try:
            return StageStatus(raw)
        except ValueError:
            raise bad_request("status must be active, archived or all") from None

    @staticmethod
    def _page(request: web.Request, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
        """One page of `items` and the RFC 5988 Link header for the others ([doc] page from 1,
        default 1; perPage 1..100, default 50; [guess] 400 outside those, page=0 included)."""
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("perPage", str(DEFAULT_PER_PAGE)))
        except ValueError as exc:
            raise bad_request("page and perPage must be whole numbers") from exc
        if page < 1:
            raise bad_request("page must be 1 or more")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise bad_request(f"perPage must be between 1 and {MAX_PER_PAGE}")
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

    # Rendering.

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
        if stage.archived:  # [guess] the docs' Stage model names no such field
            rendered["archived"] = True
        return rendered

    def _project(self, project: StoredProject) -> dict[str, Any]:
        """[doc] the Project model and the list example: party, owner, status, stage as
        `{"id", "name"}`, dates; [guess] party and owner carry their id only (the emulator keeps
        no parties or users), `stage` is absent when the project is on no stage, as `description`
        is when empty."""
        stage = self.state.stages.get(project.stage_id) if project.stage_id is not None else None
        rendered: dict[str, Any] = {
            "id": project.id,
            "party": {"id": project.party_id},
            "owner": None if project.owner_id is None else {"id": project.owner_id},
            "team": None if project.team_id is None else {"id": project.team_id},
            "status": project.status.value,
            "name": project.name,
            "createdAt": project.created_at,
            "updatedAt": project.updated_at,
            "expectedCloseOn": project.expected_close_on,
            "closedOn": project.closed_on,
            "lastContactedAt": None,
        }
        if stage is not None:
            rendered["stage"] = {"id": stage.id, "name": stage.name}
        if project.opportunity_id is not None:
            rendered["opportunity"] = {"id": project.opportunity_id}
        if project.description is not None:
            rendered["description"] = project.description
        return rendered

    def _created(
        self, request: web.Request, key: str, id_: int, rendered: dict[str, Any]
    ) -> web.Response:
        """201 with the wrapped object and its `Location`, as Capsule answers a create."""
        location = f"{request.scheme}://{request.host}{self.base_path}/{key}s/{id_}"
        return web.json_response({key: rendered}, status=201, headers={"Location": location})

    # Handlers.

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
        status = self._status(request)
        include = self._boolean(request, "includeOnDeletedBoard", False)
        stages = [self._stage(s) for s in self.state.stages_of(None, status, include)]
        page, headers = self._page(request, stages)
        return web.json_response({"stages": page}, headers=headers)

    async def list_board_stages(self, request: web.Request) -> web.Response:
        status = self._status(request)
        board = self.state.board(self._int(request, "board"))
        stages = [self._stage(s) for s in self.state.stages_of(board.id, status)]
        page, headers = self._page(request, stages)
        return web.json_response({"stages": page}, headers=headers)

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
        if status not in ("active", "archived", "nonempty", "all"):  # [doc] Board's statuses
            raise bad_request("status must be active, archived, nonempty or all")
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
        board = self.state.create_board(body.get("name"), body.get("description"))
        return self._created(request, "board", board.id, self._board(board))

    async def get_board(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"board": self._board(self.state.board(self._int(request, "board")))}
        )

    async def archive_board(self, request: web.Request) -> web.Response:
        self.state.archive_board(self._int(request, "board"))
        return web.Response(status=204)

    async def restore_board(self, request: web.Request) -> web.Response:
        board = self.state.restore_board(self._int(request, "board"))
        return web.json_response({"board": self._board(board)})

    # Projects (kases on the wire).

    async def list_projects(self, request: web.Request) -> web.Response:
        """`GET /kases`: every project, open and closed, paged ([doc] page, perPage 1..100,
        `since` keeps those changed after it, `embed` adds data the emulator does not keep)."""
        projects = self.state.project_listing()
        since = request.query.get("since")
        if since is not None:  # [guess] compared as ISO 8601 text, as the API writes dates
            projects = [p for p in projects if p.updated_at > since]
        page, headers = self._page(request, [self._project(p) for p in projects])
        return web.json_response({"kases": page}, headers=headers)

    async def filter_projects(self, request: web.Request) -> web.Response:
        """`POST /kases/filters/results`: [doc] the projects matching every condition, paged and
        answered like the list (`{"kases": [...]}` and a Link header)."""
        try:
            body = json.loads(await request.read())
        except ValueError as exc:
            raise bad_request("Body is not JSON") from exc
        found = run_filter(self.state, parse_filter(body))
        page, headers = self._page(request, [self._project(p) for p in found])
        return web.json_response({"kases": page}, headers=headers)

    async def create_project(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request, "kase")
        project = self.state.create_project(body, user.user_id if user is not None else None)
        return self._created(request, "kase", project.id, self._project(project))

    async def get_project(self, request: web.Request) -> web.Response:
        project = self.state.project(self._int(request, "project"))
        return web.json_response({"kase": self._project(project)})

    async def update_project(self, request: web.Request) -> web.Response:
        id_ = self._int(request, "project")
        project = self.state.update_project(id_, await self._body(request, "kase"))
        return web.json_response({"kase": self._project(project)})

    async def delete_project(self, request: web.Request) -> web.Response:
        self.state.delete_project(self._int(request, "project"))
        return web.Response(status=204)
