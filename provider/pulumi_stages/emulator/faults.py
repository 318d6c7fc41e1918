"""Fault injection and rate limiting shared by every emulated API.

Tests queue faults (through `FaultInjector` or the admin API) to prove that the provider recovers:
error statuses, latency, a dropped connection, and a write that commits but whose response is lost.
`RateBudget` enforces a request budget per user and reports it in `X-RateLimit-*` headers.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_USER = "default"
"""The budget key of requests that name no user."""


class FaultKind(StrEnum):
    """What an injected fault does to a request."""

    STATUS = "status"  # answer with an error status in the API's own error format
    LATENCY = "latency"  # wait, then serve normally
    DROP = "drop"  # close the connection before doing anything
    COMMIT_THEN_DROP = "commit_then_drop"  # do the work, then close without answering


@dataclass
class Fault:
    """A fault for the next `count` requests that match `method` and `path` (any when None).

    `path` is a request path (`/oauth/token`) or a route template (`/api/v2/stages/{id}`). With
    no path a fault hits the API's own routes only: the authorization server (`/oauth/token`) is
    a separate service in production, so a fault meant for it names its path. `retry_after` is
    seconds from now, sent in the API's documented Retry-After form; None sends no Retry-After.
    """

    kind: FaultKind
    count: int = 1
    method: str | None = None
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    path: str | None = None

    def matches(self, method: str, path: str, route: str, auth_server: bool) -> bool:
        """Whether this fault applies to a request (`auth_server`: one to the token endpoint)."""
        if self.count <= 0 or (self.method is not None and self.method != method):
            return False
        if self.path is None:
            return not auth_server
        return self.path in (path, route)


class FaultInjector:
    """A thread-safe queue of faults; each request takes the first one that matches it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)

    def take(
        self, method: str, path: str = "", route: str = "", auth_server: bool = False
    ) -> Fault | None:
        """The fault for this request, if any, counting it as used."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, route or path, auth_server):
                    fault.count -= 1
                    return fault
            return None

    def drain(self) -> list[Fault]:
        """Take every queued fault out (to queue them again after a run they are not for)."""
        with self._lock:
            taken, self._faults = self._faults, []
            return taken

    def pending(self) -> int:
        """How many faulty requests are still queued."""
        with self._lock:
            return sum(f.count for f in self._faults if f.count > 0)

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()


@dataclass
class RateWindow:
    """One user's budget as reported in headers."""

    limit: int
    remaining: int
    reset_epoch: int


@dataclass
class _Usage:
    started: float
    used: int = 0


class RateBudget:
    """A fixed-window request budget per user: each user's requests count against their own
    limit, as both APIs document (Outreach 10,000 and Capsule 4,000 requests per user per hour).
    Tests that use one token see one budget, as before."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.window = window_seconds
        self._usage: dict[str, _Usage] = {}
        self.refused = 0
        """Requests refused so far, over every user."""

    def configure(self, limit: int, window_seconds: float) -> None:
        """Change the budget and start a fresh window for every user."""
        with self._lock:
            self.limit, self.window = limit, window_seconds
            self._usage.clear()

    def _current(self, user: str, now: float) -> _Usage:
        usage = self._usage.get(user)
        if usage is None or now - usage.started >= self.window:
            usage = self._usage[user] = _Usage(now)
        return usage

    def _report(self, usage: _Usage) -> RateWindow:
        reset = math.ceil(usage.started + self.window)
        return RateWindow(self.limit, max(0, self.limit - usage.used), reset)

    def spend(self, user: str = DEFAULT_USER) -> tuple[bool, RateWindow]:
        """Take one request from `user`'s budget; False when it is spent."""
        with self._lock:
            usage = self._current(user, time.time())
            allowed = usage.used < self.limit
            if allowed:
                usage.used += 1
            else:
                self.refused += 1
            return allowed, self._report(usage)

    def peek(self, user: str = DEFAULT_USER) -> RateWindow:
        """`user`'s budget now, spending nothing."""
        with self._lock:
            return self._report(self._current(user, time.time()))
