"""A per-account request budget that follows what the API reports about its rate limit.

All threads of the provider process share one budget per account: each request takes one unit of
what the API last said remains (less the requests still in flight), and once none remains they
wait for the reset time instead of sending requests that would bounce off a 429. How an API
reports its budget (header names, a reset as an epoch, in seconds, or only a window length) is
the adapter's `RateHeaders`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

ResetForm = Literal["epoch", "seconds", "window-ms"]
"""How a reset is given: an epoch time, seconds from now, or only the window's length in ms
(the budget then refills at the latest one window from now)."""


@dataclass(frozen=True)
class RateWindow:
    """What a response said about the budget: requests left, and when the window resets."""

    remaining: int
    reset_at: float
    limit: int | None = None


@dataclass(frozen=True)
class RateHeaders:
    """The headers one API reports its budget in, e.g. `X-RateLimit-Remaining`."""

    prefix: str = "X-RateLimit-"
    remaining: str = "Remaining"
    limit: str = "Limit"
    reset: str = "Reset"
    reset_form: ResetForm = "epoch"

    def read(self, headers: Mapping[str, str], now: float) -> RateWindow | None:
        """The window a response reports, or None when it reports none (or nonsense)."""
        remaining = headers.get(self.prefix + self.remaining, "").strip()
        reset = headers.get(self.prefix + self.reset, "").strip()
        limit = headers.get(self.prefix + self.limit, "").strip()
        if not remaining.isdigit() or not reset.replace(".", "", 1).isdigit():
            return None
        value = float(reset)
        relative = {"epoch": 0.0, "seconds": value, "window-ms": value / 1000}[self.reset_form]
        # A relative reset is rounded up to the second, so answers in one window agree on it.
        reset_at = value if self.reset_form == "epoch" else float(math.ceil(now + relative))
        return RateWindow(int(remaining), reset_at, int(limit) if limit.isdigit() else None)


X_RATELIMIT = RateHeaders()
"""`X-RateLimit-Limit/Remaining/Reset` with the reset as an epoch time (Outreach, Capsule)."""


class AccountBudget:
    """Spends the remaining budget the API reports; waits (capped) for its reset when spent.

    No lock is held while waiting: a thread that must wait computes the pause under the lock,
    sleeps outside it, and takes its unit after waking.
    """

    def __init__(
        self,
        max_wait: float,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._limit: int | None = None
        self._reset: float = 0.0
        self._refilled_for: float | None = None
        self._in_flight = 0
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self) -> None:
        """Take one request from the budget, waiting for the window to reset if none is left."""
        while True:
            with self._lock:
                now = self._clock()
                pause = self._reset - now
                spent = self._remaining is not None and self._remaining <= 0
                if spent and pause > 0 and pause <= self._max_wait:
                    self.waited += pause
                else:
                    if spent and pause <= 0 and self._refilled_for != self._reset:
                        self._refilled_for = self._reset  # one refill per window
                        self._remaining = self._limit
                    if self._remaining is not None:
                        self._remaining -= 1
                    # Past the cap the request goes out anyway: the API's 429 says so in a line.
                    self._in_flight += 1
                    return
            self._sleep(pause)

    def release(self) -> None:
        """A request acquired earlier has finished (answered or failed)."""
        with self._lock:
            self._in_flight -= 1

    def observe(self, window: RateWindow | None) -> None:
        """Learn the budget from a response (call before `release`)."""
        if window is None:
            return
        with self._lock:
            if window.limit is not None:
                self._limit = window.limit
            # Requests still in flight will spend from what the API just reported.
            estimate = window.remaining - (self._in_flight - 1)
            if window.reset_at > self._reset or self._remaining is None:
                self._reset, self._remaining = window.reset_at, estimate
            elif window.reset_at == self._reset:
                self._remaining = min(self._remaining, estimate)
