"""CRM search's own limit, kept from the client side: HubSpot allows a few searches per second
per token, apart from the 10-second budget every call shares, and reports it in no header, so
searches are spaced out here instead of bouncing off its 429s (which the client still retries).
"""

from __future__ import annotations

import threading
import time

from ..core.account import Account

SEARCHES_PER_SECOND = 4
"""[doc] "the search endpoints are rate limited to five requests per second per authentication
token"; api-notes: sources say 4-5, so 4, which fits under both."""


class SearchPace:
    """One slot per `1 / SEARCHES_PER_SECOND` seconds for one account, shared by every thread
    of the provider process; a caller waits for its slot outside the lock."""

    def __init__(self, per_second: float = SEARCHES_PER_SECOND) -> None:
        self.interval = 1.0 / per_second
        self.lock = threading.Lock()
        self.next_slot = 0.0

    def wait(self) -> float:
        """Block until the account may send its next search; the seconds waited."""
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
        return delay


def search_pace(account: Account) -> SearchPace:
    """The account's pace of searches, kept in its context."""
    return account.adapter_state("hubspot.search-pace", SearchPace)
