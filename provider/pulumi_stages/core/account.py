"""One context per account: its client and rate budget, listings, directories and identity.

Everything a provider process learns about an account lives here, keyed by its endpoint (API,
base URL, token), and one rule keeps it true: a write of one kind of object through any provider
of the process updates that kind's listings with the API's answer (or invalidates them when the
outcome is unknown) and invalidates every directory entry of that kind. No lock is held during
network I/O: loads run once while other threads wait on an event (`SingleFlight`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .backend import Remote
from .http import ApiClient, Dialect, Endpoint
from .listing import Listing
from .once import SingleFlight

T = TypeVar("T")


class Account:
    """What this process knows about one account; thread-safe."""

    def __init__(self, endpoint: Endpoint, dialect: Dialect) -> None:
        self.endpoint = endpoint
        self.client = ApiClient(endpoint, dialect)
        self._adapter_states: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._listings: dict[tuple[str, str], Listing] = {}
        self._entries: dict[tuple[str, str], Any] = {}
        self._flights: dict[tuple[str, str], SingleFlight[Any]] = {}
        self._generations: dict[str, int] = {}
        self._identity: str | None = None
        self._identity_flight: SingleFlight[str] = SingleFlight()
        self._handed: dict[tuple[str, str], str] = {}
        self._readable_flight: SingleFlight[object] = SingleFlight()
        self._readable = False

    def confirm_readable(self, probe: Callable[[], object]) -> None:
        """Make sure the account answers this process's token before a plan changes anything:
        `probe` (one read) runs at most once per process and account, and not at all once any
        request of the account has succeeded."""
        if self.client.answered or self._readable:
            return
        self._readable_flight.run(probe)
        self._readable = True  # the probe's read passed (a 404 too: the token was accepted)

    def hand_over(self, kind: str, identity: Mapping[str, Any], id_: str) -> None:
        """An object this run made on another resource's behalf (a stage a pipeline was created
        with): the resource declaring it takes it over as its own create, with no recovery."""
        with self._lock:
            self._handed[(kind, _identity_text(identity))] = id_

    def handed_over(self, kind: str, identity: Mapping[str, Any]) -> str | None:
        """The id of the object handed over for this identity in this run, if one was."""
        with self._lock:
            return self._handed.get((kind, _identity_text(identity)))

    def listing(self, kind: str, view: str = "") -> Listing:
        """The listing of one kind of object (a `view` is a filtered listing, e.g. active
        boards only); written through like every other listing of that kind."""
        with self._lock:
            return self._listings.setdefault((kind, view), Listing())

    def _listings_of(self, kind: str) -> list[Listing]:
        with self._lock:
            return [listing for (k, _), listing in self._listings.items() if k == kind]

    def remember(self, kind: str, key: str, load: Callable[[], T]) -> T:
        """A directory entry (e.g. a board's id by name), loaded once and kept until a write of
        `kind` invalidates it."""
        with self._lock:
            if (kind, key) in self._entries:
                found: T = self._entries[(kind, key)]
                return found
            flight = self._flights.setdefault((kind, key), SingleFlight())
            generation = self._generations.get(kind, 0)
        value: T = flight.run(load)
        with self._lock:
            if self._generations.get(kind, 0) == generation:  # no write invalidated it meanwhile
                self._entries[(kind, key)] = value
        return value

    def _invalidate_entries(self, kind: str) -> None:
        with self._lock:
            self._generations[kind] = self._generations.get(kind, 0) + 1
            for key in [k for k in self._entries if k[0] == kind]:
                del self._entries[key]
            for key in [k for k in self._flights if k[0] == kind]:
                self._flights[key] = SingleFlight()  # nobody joins a lookup that began before

    def identity(self, identify: Callable[[ApiClient], str]) -> str:
        """Which account the token belongs to, asked once per process."""
        with self._lock:
            if self._identity is not None:
                return self._identity
        value = self._identity_flight.run(lambda: identify(self.client))
        with self._lock:
            self._identity = value
        return value

    def wrote(self, kind: str, remote: Remote) -> None:
        """A create or update of `kind` answered with `remote`."""
        for listing in self._listings_of(kind):
            listing.record(remote)
        self._invalidate_entries(kind)

    def deleted(self, kind: str, id_: str) -> None:
        """A delete of `kind` succeeded (or found the object gone)."""
        for listing in self._listings_of(kind):
            listing.forget(id_)
        self._invalidate_entries(kind)

    def unsure(self, kind: str) -> None:
        """A write of `kind` may or may not have happened: forget all of that kind."""
        for listing in self._listings_of(kind):
            listing.invalidate()
        self._invalidate_entries(kind)

    def adapter_state(self, key: str, make: Callable[[], T]) -> T:
        """An adapter's own state for this account (a cache, a pace), made by `make` on first
        use and kept as long as the account context: what an adapter learns is never shared
        across accounts or kept process-wide. `key` names it, prefixed by the adapter's name."""
        with self._lock:
            if key not in self._adapter_states:
                self._adapter_states[key] = make()
            state: T = self._adapter_states[key]
            return state


def _identity_text(identity: Mapping[str, Any]) -> str:
    """Values as text: an id given as a number is the same id."""
    return json.dumps({k: str(v) for k, v in identity.items()}, sort_keys=True)


class Accounts:
    """Every account this process talks to, one context each."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[Endpoint, Account] = {}

    def get(self, endpoint: Endpoint, dialect: Dialect) -> Account:
        """The account's context, made on first use."""
        with self._lock:
            account = self._accounts.get(endpoint)
            if account is None:
                account = self._accounts[endpoint] = Account(endpoint, dialect)
            return account


ACCOUNTS = Accounts()
"""The provider process's accounts."""
