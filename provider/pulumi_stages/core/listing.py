"""One listing of one kind of object in one account, shared by the provider process's threads.

`pulumi refresh` reads every resource, each on one of the provider's threads. The first few reads
of a burst go straight to the API (a refresh of one stage should not list a large account); from
then on one thread fetches the whole listing (the others wait for it, with no lock held during
the fetch) and all are answered from it. Adoption and ordering read the same listing.

The rule that keeps it true: every write this process makes is written through. A create or
update stores the API's answer, a delete removes the object, and a write whose outcome is unknown
(a lost connection, a 5xx) invalidates the whole listing. A listing is as current as the account was
when it was read plus every write made since, and it expires after `TTL_SECONDS`, which bounds
how long a hand edit made during one command can go unseen. A stage missing from the listing is
confirmed with a direct read before it is reported gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from .backend import Remote
from .errors import StagesError
from .once import SingleFlight

DIRECT_READS = 2
"""Reads in a burst that go straight to the API before the listing is worth fetching."""

TTL_SECONDS = 300.0
"""How long a listing answers reads: about one long `pulumi up` of a thousand stages."""


class Listing:
    """Every object of one kind in one account, fetched once and kept true by write-through."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._flight: SingleFlight[dict[str, Remote]] = SingleFlight()
        self._clock = clock
        self._by_id: dict[str, Remote] | None = None
        self._fetched_at = 0.0
        self._epoch = 0
        self._overlay: dict[str, Remote | None] = {}
        self._reads = 0
        self._window_start = 0.0

    def _fresh(self) -> dict[str, Remote] | None:
        """The held listing if it is still fresh (call with the lock held)."""
        if self._by_id is not None and self._clock() - self._fetched_at < TTL_SECONDS:
            return self._by_id
        return None

    def _load(self, load: Callable[[], Iterable[Remote]]) -> dict[str, Remote]:
        with self._lock:
            epoch, self._overlay = self._epoch, {}
        by_id = {remote.id: remote for remote in load()}  # network I/O: no lock held
        with self._lock:
            for id_, remote in self._overlay.items():  # writes made while it was fetched
                if remote is None:
                    by_id.pop(id_, None)
                else:
                    by_id[id_] = remote
            if epoch == self._epoch:
                self._by_id, self._fetched_at = by_id, self._clock()
        return by_id

    def _fetch(self, load: Callable[[], Iterable[Remote]]) -> dict[str, Remote]:
        """Join the fetch under way, or start one; `invalidate` starts a new flight, so nobody joins
        a fetch that began before a write whose outcome is unknown."""
        with self._lock:
            flight = self._flight
        return flight.run(lambda: self._load(load))

    def snapshot(self, load: Callable[[], Iterable[Remote]]) -> list[Remote]:
        """Every object, from the held listing if fresh, else fetched now."""
        with self._lock:
            held = self._fresh()
        if held is None:
            held = self._fetch(load)
        return list(held.values())

    def lookup(self, id_: str, load: Callable[[], Iterable[Remote]]) -> Remote | None:
        """The object from the listing; None when it is not listed or when this read should go
        to the API directly (the caller then reads it)."""
        with self._lock:
            held = self._fresh()
            if held is None:
                now = self._clock()
                if now - self._window_start >= TTL_SECONDS:
                    self._window_start, self._reads = now, 0
                self._reads += 1
                if self._reads <= DIRECT_READS:
                    return None
        if held is None:
            try:
                held = self._fetch(load)
            except StagesError:
                return None  # a failed listing falls back to direct reads
        return held.get(id_)

    def record(self, remote: Remote) -> None:
        """A create or update answered with `remote`."""
        with self._lock:
            self._overlay[remote.id] = remote
            if self._by_id is not None:
                self._by_id[remote.id] = remote

    def forget(self, id_: str) -> None:
        """A delete succeeded (or found the object already gone)."""
        with self._lock:
            self._overlay[id_] = None
            if self._by_id is not None:
                self._by_id.pop(id_, None)

    def invalidate(self) -> None:
        """A write's outcome is unknown: nothing held can be trusted."""
        with self._lock:
            self._epoch += 1
            self._by_id = None
            self._flight = SingleFlight()
