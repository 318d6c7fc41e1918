"""A per-account request budget that follows the API's `X-RateLimit-*` headers.

All threads of the provider process share one budget per endpoint: each request takes one unit of
what the API last said remains (less the requests still in flight), and once none remains they
wait for the reset time instead of sending requests that would bounce off a 429.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping


class AccountBudget:
    """Spends the remaining budget the API reports; waits (capped) for its reset when spent."""

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
        self._in_flight = 0
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self) -> None:
        """Take one request from the budget, waiting for the window to reset if none is left.

        The lock is held while waiting, so every thread queues behind the one that waits.
        """
        with self._lock:
            now = self._clock()
            pause = self._reset - now
            if self._remaining is not None and self._remaining <= 0 and pause > 0:
                if pause > self._max_wait:
                    # Too long to wait silently: the API's 429 will say so in one line.
                    self._in_flight += 1
                    return
                self.waited += pause
                self._sleep(pause)
                self._remaining = self._limit
            if self._remaining is not None:
                self._remaining -= 1
            self._in_flight += 1

    def release(self) -> None:
        """A request acquired earlier has finished (answered or failed)."""
        with self._lock:
            self._in_flight -= 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the budget from a response's headers (call before `release`)."""
        remaining = headers.get("X-RateLimit-Remaining", "").strip()
        reset = headers.get("X-RateLimit-Reset", "").strip()
        limit = headers.get("X-RateLimit-Limit", "").strip()
        if not remaining.isdigit() or not reset.isdigit():
            return
        with self._lock:
            if limit.isdigit():
                self._limit = int(limit)
            # Requests still in flight will spend from what the API just reported.
            estimate = int(remaining) - (self._in_flight - 1)
            if float(reset) > self._reset or self._remaining is None:
                self._reset, self._remaining = float(reset), estimate
            elif float(reset) == self._reset:
                self._remaining = min(self._remaining, estimate)
