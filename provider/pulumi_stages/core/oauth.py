"""Refreshing an expired access token from a refresh token: the credentials and the token store
(`refreshing_auth` is the httpx side that sends the token and asks for a new one).

APIs such as Outreach rotate the refresh token on every refresh and invalidate the old one, so the
newest one must outlive the process, and the runner, without ever entering Pulumi state. It is
kept in the provider's memory (`core/memory`: beside the state backend by default, so the next CI
job on another runner continues the chain), sealed with a key the stack already has, one entry
per chain. A chain is one authorization: API, token URL, client id and the refresh token set in
stack config (never a token that rotates); the entry says where it started, so setting a new one
in stack config (after re-authorizing) starts afresh, and stacks sharing an OAuth client never
overwrite each other.

A grant spends the refresh token it sends, so a refresh is done so that the rotated token is never
lost and never spent twice:

- one refresh per chain at a time, across processes and runners: the store's lock on the chain
  (a `flock` in a folder, an advisory lock in PostgreSQL), held for the whole refresh; whoever
  takes it second re-reads the entry and uses the token the first one saved instead of spending a
  grant (threads of one process share an in-process lock first);
- the store must take the entry before the grant is sent (a folder's temporary file is created
  first; a sealing key must exist), so a read-only store or a missing key fails with the old
  refresh token unspent;
- the answer is checked before it is trusted (a malformed one is a clear `Unauthorized`), then
  sealed and written (atomically) before the new access token is used.

No error text ever quotes a token, the client secret or the sealing key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import Unauthorized
from .memory import (
    LOCK_WAIT_SECONDS,
    Location,
    Pending,
    Sealer,
    Store,
    StoreUnusable,
    memory_location,
    open_store,
)

EXPIRY_MARGIN_SECONDS = 60.0
"""Refresh this long before the API's stated expiry."""

DEFAULT_LIFETIME_SECONDS = 7200.0
"""Lifetime assumed for an access token whose grant states none (Outreach's is two hours)."""

REAUTHORIZE = "authorize again and set the new refresh token in stack config"


@dataclass(frozen=True)
class RefreshCredentials:
    """What a refresh needs; secrets never show in repr. `redirect_uri`, when set, is sent with
    the grant: Outreach's documented refresh request carries the app's redirect URI."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    redirect_uri: str | None = None
    memory: Location | None = field(default=None, repr=False)
    """Where the rotated token is kept (None: the default place, see `memory_location`)."""
    memory_secret: str = field(default="", repr=False)
    """What it is sealed with (`pulumiStages:memoryKey`, else the stack's passphrase)."""


class TokenRefreshRefused(Unauthorized):
    """The token endpoint refused the refresh grant, or could not be reached: what to fix is
    the refresh token, client or token URL in stack config, not the access token."""


class TokenRefreshFailed(Unauthorized):
    """A refresh that failed on this side of the token endpoint: its answer was malformed, the
    rotated token could not be saved, or another process held the chain too long. The message is
    the whole line (no "rejected": the endpoint may well have said yes)."""

    def _line(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class MemoryKeyMissing(Exception):
    """The stack has no key to seal a rotated token with."""


class SealedPending:
    """A chain's entry about to be written, sealed on commit."""

    def __init__(self, pending: Pending, sealer: Sealer, label: str) -> None:
        self._pending, self._sealer, self._label = pending, sealer, label

    def commit(self, entry: dict[str, Any]) -> None:
        """Seal and write the entry (StoreUnusable on failure)."""
        self._pending.commit(self._sealer.seal(json.dumps(entry).encode(), self._label))

    def discard(self) -> None:
        self._pending.discard()


class TokenStore:
    """Each chain's entry (its refresh and access tokens), sealed, in the memory store, and the
    chain's lock there that serializes refreshes across processes and runners."""

    def __init__(self, store: Store, sealer: Sealer | None) -> None:
        self.store = store
        self._sealer = sealer

    @property
    def where(self) -> str:
        """The store as a user finds it (no password)."""
        return self.store.where

    def load(self, key: str) -> dict[str, Any] | None:
        """The chain's entry, or None (none saved, or not sealed with this stack's key)."""
        try:
            sealed = self.store.load(f"tokens/{key}")
        except StoreUnusable:
            return None
        if sealed is None or self._sealer is None:
            return None
        opened = self._sealer.open(sealed, key)
        try:
            data = json.loads(opened) if opened is not None else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    @property
    def lock_wait(self) -> float:
        """How long `locked` waits for another holder of a chain, in seconds, unless told."""
        return LOCK_WAIT_SECONDS

    @contextmanager
    def locked(self, key: str, wait: float | None = None) -> Iterator[None]:
        """Hold the chain's lock (StoreUnusable, LockTimeout after `wait` seconds)."""
        with self.store.locked(f"tokens/{key}", self.lock_wait if wait is None else wait):
            yield

    def pending(self, key: str) -> SealedPending:
        """A new entry for the chain, ready to commit: MemoryKeyMissing or StoreUnusable when it
        could not be saved."""
        if self._sealer is None:
            raise MemoryKeyMissing
        return SealedPending(self.store.pending(f"tokens/{key}"), self._sealer, key)

    def save(self, key: str, entry: dict[str, Any]) -> None:
        """Replace the chain's entry."""
        pending = self.pending(key)
        try:
            pending.commit(entry)
        finally:
            pending.discard()


def token_store(credentials: RefreshCredentials) -> TokenStore:
    """The token store the credentials' stack config names (or the default place)."""
    location = credentials.memory or memory_location(None)
    secret = credentials.memory_secret
    return TokenStore(open_store(location), Sealer(secret) if secret else None)
