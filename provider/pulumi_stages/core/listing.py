"""Serves many reads in one provider process from one paginated listing per account.

`pulumi refresh` reads every resource, each on one of the provider's threads. The first few reads
of a burst go straight to the API (a refresh of one stage should not list a large account); from
then on one thread fetches the whole listing, the others wait for it, and all are answered from it
for a short while. Any write through this process drops the listing, so it never hides our own
changes; a stage missing from the listing is confirmed with a direct read before it is reported
gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .backend import Remote
from .errors import StagesError
from .http import Endpoint

ListingKey = tuple[Endpoint, str]
"""An account and a kind of object (the provider class): stage and board ids may overlap."""

DIRECT_READS = 2
"""Reads in a burst that go straight to the API before the listing is worth fetching."""

TTL_SECONDS = 30.0
"""How long a listing answers reads."""


@dataclass
class _Listing:
    lock: threading.Lock = field(default_factory=threading.Lock)
    reads: int = 0
    window_start: float = 0.0
    fetched_at: float | None = None
    by_id: dict[str, Remote] = field(default_factory=dict)


class ListingCache:
    """One short-lived listing per account and kind, shared by the provider process's threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._listings: dict[ListingKey, _Listing] = {}
        self._clock = clock

    def _listing(self, key: ListingKey) -> _Listing:
        with self._lock:
            return self._listings.setdefault(key, _Listing())

    def lookup(
        self, key: ListingKey, id_: str, load: Callable[[], Iterable[Remote]]
    ) -> Remote | None:
        """The object from the account's listing; None when it is not listed or when this read
        should go to the API directly (the caller then reads it)."""
        listing = self._listing(key)
        with listing.lock:
            now = self._clock()
            fresh = listing.fetched_at is not None and now - listing.fetched_at < TTL_SECONDS
            if not fresh:
                if now - listing.window_start >= TTL_SECONDS:
                    listing.window_start, listing.reads = now, 0
                listing.reads += 1
                if listing.reads <= DIRECT_READS:
                    return None
                try:
                    self._fill(listing, load)
                except StagesError:
                    return None  # a failed listing falls back to direct reads
            return listing.by_id.get(id_)

    def _fill(self, listing: _Listing, load: Callable[[], Iterable[Remote]]) -> None:
        """Fetch the listing (the caller holds its lock)."""
        listing.by_id = {remote.id: remote for remote in load()}
        listing.fetched_at = self._clock()

    def snapshot(self, key: ListingKey, load: Callable[[], Iterable[Remote]]) -> list[Remote]:
        """Every object in the account's listing, fetched now unless a fresh one is held."""
        listing = self._listing(key)
        with listing.lock:
            now = self._clock()
            if listing.fetched_at is None or now - listing.fetched_at >= TTL_SECONDS:
                self._fill(listing, load)
            return list(listing.by_id.values())

    def invalidate(self, key: ListingKey) -> None:
        """Forget the listing after a write."""
        listing = self._listing(key)
        with listing.lock:
            listing.fetched_at = None
            listing.by_id = {}


LISTINGS = ListingCache()
