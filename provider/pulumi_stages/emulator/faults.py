"""Fault injection and rate limiting shared by every emulated API.

Tests queue faults (through `FaultInjector` or the admin API) to prove that the provider recovers:
error statuses, latency, a dropped connection, and a write that commits but whose response is lost.
`RateBudget` enforces a per-account request budget and reports it in `X-RateLimit-*` headers.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    """What an injected fault does to a request."""

    STATUS = "status"  # answer with an error status in the API's own error format
    LATENCY = "latency"  # wait, then serve normally
    DROP = "drop"  # close the connection before doing anything
    COMMIT_THEN_DROP = "commit_then_drop"  # do the work, then close without answering


@dataclass
class Fault:
    """A fault for the next `count` requests that match `method` (any when None)."""

    kind: FaultKind
    count: int = 1
    method: str | None = None
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0

    def matches(self, method: str) -> bool:
        """Whether this fault applies to a request of this method."""
        return self.count > 0 and (self.method is None or self.method == method)


class FaultInjector:
    """A thread-safe queue of faults; each request takes the first one that matches it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str) -> Fault | None:
        """The fault for this request, if any, counting it as used."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method):
                    fault.count -= 1
                    return fault
            return None

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
    """The budget's state as reported in headers."""

    limit: int
    remaining: int
    reset_epoch: int


class RateBudget:
    """A fixed-window request budget per account (all requests with any valid token count)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.window = window_seconds
        self._started = time.time()
        self._used = 0
        self.refused = 0

    def configure(self, limit: int, window_seconds: float) -> None:
        """Change the budget and start a fresh window."""
        with self._lock:
            self.limit, self.window = limit, window_seconds
            self._started, self._used = time.time(), 0

    def spend(self) -> tuple[bool, RateWindow]:
        """Take one request from the budget; False when it is spent."""
        with self._lock:
            now = time.time()
            if now - self._started >= self.window:
                self._started, self._used = now, 0
            allowed = self._used < self.limit
            if allowed:
                self._used += 1
            else:
                self.refused += 1
            reset = math.ceil(self._started + self.window)
            return allowed, RateWindow(self.limit, max(0, self.limit - self._used), reset)
