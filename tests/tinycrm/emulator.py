"""The Tiny emulator: columns with string ids, `{"columns": [...], "next": url}` pages, and a
rate limit reported as `RateLimit-Remaining` / `RateLimit-Reset` (seconds from now)."""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from pulumi_stages.emulator.faults import RateWindow

PAGE = 2  # small on purpose: every listing pages


@dataclass
class TinyState:
    """The account's columns; no HTTP."""

    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, name: str, position: int | None) -> dict[str, Any]:
        """Add a column; ids are strings."""
        with self.lock:
            column = {"id": f"col-{self.next_id}", "name": name, "position": position}
            self.columns[column["id"]] = column
            self.next_id += 1
            return dict(column)


class TinyService:
    """The Tiny API on the shared emulator server."""

    name = "tinycrm"
    base_path = "/v1"
    rate_limit = 1000
    rate_window_seconds = 3600.0
    auth_paths: frozenset[str] = frozenset()

    def __init__(self, token: str) -> None:
        self.token = token
        self.state = TinyState()

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """No flags of its own."""

    @classmethod
    def from_arguments(cls, token: str, args: argparse.Namespace) -> TinyService:
        return cls(token)

    def routes(self) -> Iterable[web.RouteDef]:
        base = self.base_path
        return [
            web.get(f"{base}/columns", self.list_columns),
            web.post(f"{base}/columns", self.create_column),
            web.get(f"{base}/columns/{{id}}", self.get_column),
            web.patch(f"{base}/columns/{{id}}", self.update_column),
            web.delete(f"{base}/columns/{{id}}", self.delete_column),
        ]

    def reset(self) -> None:
        self.state = TinyState()

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "bad token"}, status=401)
        return None

    def rate_key(self, request: web.Request) -> str:
        return "user"

    def rate_headers(self, window: RateWindow) -> dict[str, str]:
        seconds = max(0, math.ceil(window.reset_epoch - time.time()))
        return {"RateLimit-Remaining": str(window.remaining), "RateLimit-Reset": str(seconds)}

    def error_response(
        self, status: int, retry_at: float | None, window: RateWindow | None
    ) -> web.Response:
        response = web.json_response({"error": f"status {status}"}, status=status)
        if retry_at is not None:
            response.headers["Retry-After"] = str(max(0, math.ceil(retry_at - time.time())))
        return response

    def route_error(self, request: web.Request, status: int) -> web.Response:
        return web.json_response({"error": "no such route"}, status=status)

    def snapshot(self) -> Any:
        return {"columns": list(self.state.columns.values())}

    def live_stages(self) -> list[tuple[str, str]]:
        return [(c["name"], c["id"]) for c in self.state.columns.values()]

    def export_state(self) -> dict[str, Any]:
        return {"columns": list(self.state.columns.values()), "next_id": self.state.next_id}

    def import_state(self, data: dict[str, Any]) -> None:
        self.state = TinyState({c["id"]: c for c in data["columns"]}, int(data["next_id"]))

    def _column(self, request: web.Request) -> dict[str, Any]:
        column = self.state.columns.get(request.match_info["id"])
        if column is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "no such column"}), content_type="application/json"
            )
        return column

    async def list_columns(self, request: web.Request) -> web.Response:
        start = int(request.query.get("after", "0"))
        columns = sorted(self.state.columns.values(), key=lambda c: int(c["id"][4:]))
        page = columns[start : start + PAGE]
        following = None
        if start + PAGE < len(columns):
            following = f"{self.base_path}/columns?after={start + PAGE}"  # a relative link
        return web.json_response({"columns": page, "next": following})

    async def create_column(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(self.state.create(body["name"], body.get("position")), status=201)

    async def get_column(self, request: web.Request) -> web.Response:
        return web.json_response(self._column(request))

    async def update_column(self, request: web.Request) -> web.Response:
        column = self._column(request)
        body = await request.json()
        with self.state.lock:
            column.update({k: v for k, v in body.items() if k in ("name", "position")})
        return web.json_response(column)

    async def delete_column(self, request: web.Request) -> web.Response:
        self._column(request)
        with self.state.lock:
            del self.state.columns[request.match_info["id"]]
        return web.Response(status=204)
