"""CRM search's own rate limit: a few requests per second per token, apart from the 10-second
budget every call shares, with its own 429 body.

Sources: [doc] the API usage guidelines and search guide ("the search endpoints are rate limited
to five requests per second per authentication token"); [seen] the 429 body public threads
quote for it (`"policyName": "SECONDLY"`, "You have reached your secondly limit.").
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import Any

SEARCHES_PER_SECOND = 5  # [doc] five per second per token (api-notes: sources say 4-5)


class SearchLimit:
    """A rolling one-second window of searches; thread-safe."""

    def __init__(self, per_second: int = SEARCHES_PER_SECOND) -> None:
        self.per_second = per_second
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.refused = 0
        """Searches answered 429 so far (tests read it)."""

    def refusal(self) -> dict[str, Any] | None:
        """None when one more search fits this second (and counts it); else the 429 body."""
        now = time.monotonic()
        with self._lock:
            while self._sent and self._sent[0] <= now - 1.0:
                self._sent.popleft()
            if len(self._sent) < self.per_second:
                self._sent.append(now)
                return None
            self.refused += 1
        return {
            "status": "error",
            "message": "You have reached your secondly limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": "SECONDLY",  # [seen] in public threads' copies of this answer
        }
