"""CRM search's own limit, kept from the client side: HubSpot allows a few searches per second
per token, apart from the 10-second budget every call shares, and reports it in no header, so
searches are spaced out here instead of bouncing off its 429s (which the client still retries).
"""

from __future__ import annotations

import threading
import time
import weakref

from ..core.account import Account

SEARCHES_PER_SECOND = 4
"""[doc] "the search endpoints are rate limited to five requests per second per authentication
token"; api-notes: sources say 4-5, so 4, which fits under both."""


class SearchPace:
    """One slot per `1 / SEARCHES_PER_SECOND` seconds per account, shared by every thread of
    the provider process; a caller waits for its slot outside the lock."""

    def __init__(self, per_second: float = SEARCHES_PER_SECOND) -> None:
        self.interval = 1.0 / per_second
        self._lock = threading.Lock()
        self._next: weakref.WeakKeyDictionary[Account, float] = weakref.WeakKeyDictionary()

    def wait(self, account: Account) -> float:
        """Block until this account may send its next search; the seconds waited."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(account, now))
            self._next[account] = slot + self.interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
        return delay


SEARCH_PACE = SearchPace()
"""The process's pace of searches, per account."""
