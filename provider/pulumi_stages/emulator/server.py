"""The shared emulator machinery: a real aiohttp server on loopback, a request log, an admin API.

Each CRM's package supplies a Service (routes, account state, its own error bodies); this module
runs any of them on 127.0.0.1, in a thread (for tests and benchmarks) or in the foreground (for
the CLI), counts every API request so tests can assert exactly which calls an operation made, and
applies the per-user rate budget and injected faults. Admin routes under /_emulator: GET/DELETE
requests, POST reset, GET state, GET live-stages (name -> id), POST/DELETE faults (a Fault as
JSON), PUT rate-limit ({"limit": N, "window_seconds": S}).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from aiohttp import web

from .faults import Fault, FaultInjector, FaultKind, RateBudget, RateWindow

ADMIN_PREFIX = "/_emulator"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class LoggedRequest:
    """One API request as the emulator received it."""

    method: str
    path: str
    route: str
    query: dict[str, str]
    body: Any
    reads_only: bool = False
    """A read sent with a write's method (a search by POST): never counted as a write."""
    content_type: str | None = None
    """The request's Content-Type header as sent (None when absent)."""
    at: float = field(default_factory=time.monotonic)
    """When it arrived (monotonic seconds): tests measure windows between two requests."""
    fault: str | None = None
    """The kind of injected fault that answered it (`status`, `drop`...), if one did: a request
    answered by `status` or `drop` never reached the API's handler."""

    @property
    def served(self) -> bool:
        """Whether the API's handler ran (its write committed), whatever the client saw."""
        return self.fault not in ("status", "drop")

    @property
    def key(self) -> str:
        """`METHOD /route/{template}`, the form counts are kept in."""
        return f"{self.method} {self.route}"


class RequestLog:
    """Every API request, in order; safe to read from test threads while the server runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def record(self, entry: LoggedRequest) -> None:
        """Append one request."""
        with self._lock:
            self._entries.append(entry)

    def mark_fault(self, entry: LoggedRequest, kind: str) -> None:
        """Note that an injected fault of `kind` answered a request already logged."""
        with self._lock:
            for i in range(len(self._entries) - 1, -1, -1):
                if self._entries[i] is entry:
                    self._entries[i] = replace(entry, fault=kind)
                    return

    def entries(self) -> list[LoggedRequest]:
        """A snapshot of the log."""
        with self._lock:
            return list(self._entries)

    def counts(self) -> Counter[str]:
        """Requests per `METHOD /route`."""
        return Counter(entry.key for entry in self.entries())

    def count(self, method: str | None = None) -> int:
        """How many requests, optionally of one method."""
        return sum(1 for e in self.entries() if method is None or e.method == method)

    def writes(self) -> list[LoggedRequest]:
        """The requests that change state (everything but GET/HEAD)."""
        return [e for e in self.entries() if e.method not in ("GET", "HEAD") and not e.reads_only]

    def reset(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()


class Service(Protocol):
    """One emulated API: its CLI flags, routes, account state, auth, and its own error bodies.

    A CRM's package under `pulumi_stages.emulator` exposes its class as `SERVICE`; the shared
    server below runs any such class, so adding a CRM touches no shared file.
    """

    name: str
    base_path: str
    rate_limit: int
    rate_window_seconds: float
    auth_paths: frozenset[str]
    """Paths of the API's authorization server (`/oauth/token`): outside the rate budget, and
    reached only by faults that name them."""

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add this API's own flags to the `pulumi-stages emulator` command line."""
        ...

    @classmethod
    def from_arguments(cls, token: str, args: argparse.Namespace) -> Service:
        """A service accepting `token`, configured from the parsed command line."""
        ...

    def routes(self) -> Iterable[web.RouteDef]:
        """The API's routes, paths relative to the server root."""
        ...

    def reset(self) -> None:
        """Forget every object."""
        ...

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """None when the request may proceed, else the API's error response (401, 403, 415)."""
        ...

    def rate_key(self, request: web.Request) -> str:
        """Whose rate budget an authorized request spends: its token's user."""
        ...

    def error_response(
        self, status: int, retry_at: float | None, window: RateWindow | None
    ) -> web.Response:
        """The API's own answer for an error status (429, 5xx) with no other cause. `window` is
        given for the rate budget's own 429 only (the caller's spent budget, `retry_at` its reset
        time); an injected fault passes None and the `retry_at` it asks for, if any. `retry_at`
        (epoch seconds) goes out in the API's documented Retry-After form, if it has one."""
        ...

    def rate_headers(self, window: RateWindow) -> dict[str, str]:
        """The headers that report the caller's rate budget on every metered response."""
        ...

    def route_error(self, request: web.Request, status: int) -> web.Response:
        """The API's JSON answer for an unknown route (404) or method (405)."""
        ...

    def snapshot(self) -> Any:
        """The state in the API's wire format, for the admin API."""
        ...

    def live_stages(self) -> list[tuple[str, str]]:
        """(name, id) of each live stage in the account, by id, for tests to compare with state
        and to see duplicates."""
        ...

    def export_state(self) -> dict[str, Any]:
        """The state as plain JSON, to persist between runs."""
        ...

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the state with one exported earlier."""
        ...


async def _read_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


@dataclass
class Controls:
    """What tests steer besides the API's state: the request log, faults and the rate budget."""

    log: RequestLog
    faults: FaultInjector
    budget: RateBudget


def x_ratelimit_headers(window: RateWindow) -> dict[str, str]:
    """`X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch seconds), as Outreach and Capsule
    report a budget ([doc] both vendors' rate-limit sections)."""
    return {
        "X-RateLimit-Limit": str(window.limit),
        "X-RateLimit-Remaining": str(window.remaining),
        "X-RateLimit-Reset": str(window.reset_epoch),
    }


async def _apply_fault(
    fault: Fault, service: Service, request: web.Request, handler: Handler
) -> web.StreamResponse | None:
    """The faulty answer, or None to serve the request normally (after any latency)."""
    if fault.kind is FaultKind.LATENCY:
        await asyncio.sleep(fault.delay)
        return None
    if fault.kind is FaultKind.STATUS:
        retry_at = None if fault.retry_after is None else time.time() + fault.retry_after
        return service.error_response(fault.status, retry_at, None)
    if fault.kind is FaultKind.COMMIT_THEN_DROP:
        await handler(request)
    if request.transport is not None:
        request.transport.close()
    raise asyncio.CancelledError  # the client sees the connection close with no response


async def _serve(service: Service, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The API's answer; an unknown route or method gets the API's JSON error, not aiohttp's
    plain text (both APIs answer errors with JSON bodies)."""
    unmatched = getattr(request.match_info, "http_exception", None)
    if isinstance(unmatched, web.HTTPException):
        response = service.route_error(request, unmatched.status)
        if "Allow" in unmatched.headers:
            response.headers["Allow"] = unmatched.headers["Allow"]
        return response
    return await handler(request)


def build_app(service: Service, controls: Controls) -> web.Application:
    """The aiohttp application: log, auth, rate budget and faults, then API and admin routes."""

    @web.middleware
    async def emulate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        info = request.match_info.route.resource
        route = info.canonical if info is not None else request.path
        body = await _read_body(request)
        reads_only = route in getattr(service, "read_routes", frozenset())
        entry = LoggedRequest(
            request.method,
            request.path,
            route,
            dict(request.query),
            body,
            reads_only,
            request.headers.get("Content-Type"),
        )
        controls.log.record(entry)
        denied = service.authorize(request)
        if denied is not None:
            return denied
        auth_server = request.path in service.auth_paths
        window: RateWindow | None = None
        if not auth_server:  # the token endpoint spends no API budget
            allowed, window = controls.budget.spend(service.rate_key(request))
            if not allowed:
                response = service.error_response(429, window.reset_epoch, window)
                response.headers.update(service.rate_headers(window))
                return response
        fault = controls.faults.take(request.method, request.path, route, auth_server)
        result: web.StreamResponse | None = None
        if fault is not None:
            controls.log.mark_fault(entry, fault.kind.value)
            result = await _apply_fault(fault, service, request, handler)
        if result is None:
            result = await _serve(service, request, handler)
        if window is not None:
            result.headers.update(service.rate_headers(window))
        return result

    app = web.Application(middlewares=[emulate])
    app.add_routes(list(service.routes()))
    app.add_routes(_admin_routes(service, controls))
    return app


def _admin_routes(service: Service, controls: Controls) -> list[web.RouteDef]:
    log = controls.log

    async def requests(_: web.Request) -> web.Response:
        entries = [
            {"method": e.method, "path": e.path, "route": e.route, "body": e.body}
            for e in log.entries()
        ]
        return web.json_response({"requests": entries, "counts": dict(log.counts())})

    async def reset_log(_: web.Request) -> web.Response:
        log.reset()
        return web.Response(status=204)

    async def reset_state(_: web.Request) -> web.Response:
        service.reset()
        log.reset()
        return web.Response(status=204)

    async def state(_: web.Request) -> web.Response:
        return web.json_response(service.snapshot())

    async def live_stages(_: web.Request) -> web.Response:
        return web.json_response(service.live_stages())

    async def add_fault(request: web.Request) -> web.Response:
        spec = await request.json()
        spec["kind"] = FaultKind(spec["kind"])
        controls.faults.add(Fault(**spec))
        return web.Response(status=204)

    async def clear_faults(_: web.Request) -> web.Response:
        controls.faults.clear()
        return web.Response(status=204)

    async def rate_limit(request: web.Request) -> web.Response:
        spec = await request.json()
        controls.budget.configure(int(spec["limit"]), float(spec["window_seconds"]))
        return web.Response(status=204)

    return [
        web.get(f"{ADMIN_PREFIX}/requests", requests),
        web.delete(f"{ADMIN_PREFIX}/requests", reset_log),
        web.post(f"{ADMIN_PREFIX}/reset", reset_state),
        web.get(f"{ADMIN_PREFIX}/state", state),
        web.get(f"{ADMIN_PREFIX}/live-stages", live_stages),
        web.post(f"{ADMIN_PREFIX}/faults", add_fault),
        web.delete(f"{ADMIN_PREFIX}/faults", clear_faults),
        web.put(f"{ADMIN_PREFIX}/rate-limit", rate_limit),
    ]


class EmulatorServer:
    """Serves one Service on 127.0.0.1 from a background thread; start() returns once listening."""

    def __init__(self, service: Service, port: int = 0, host: str = "127.0.0.1") -> None:
        self.service = service
        self.log = RequestLog()
        self.faults = FaultInjector()
        self.budget = RateBudget(service.rate_limit, service.rate_window_seconds)
        self._host = host
        self._socket = socket.create_server((host, port))
        self.port: int = self._socket.getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL clients are configured with."""
        return f"{self.root_url}{self.service.base_path}"

    def start(self) -> EmulatorServer:
        """Start serving in a daemon thread and wait until the socket accepts requests."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                raise
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(
            target=run, name=f"{self.service.name}-emulator", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            raise RuntimeError(f"{self.service.name} emulator failed to start") from failure[0]
        return self

    async def _serve(self) -> None:
        app = build_app(self.service, Controls(self.log, self.faults, self.budget))
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        """Stop serving and wait for the thread to finish."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
