"""What the provider's memory (the create journal, rotated OAuth tokens) needs of a place to live.

A store keeps small named values (written whole, atomically), append-only logs, and exclusive
locks shared by every process that reaches the same store, on any machine. `files.py` keeps them
in a folder, `postgres.py` in the state backend's PostgreSQL database.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

LOCK_WAIT_SECONDS = 120.0
"""How long to wait for another holder of a lock before giving up."""


class StoreUnusable(Exception):
    """The store cannot be read or written; `reason` says why, with no path or password."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LockTimeout(Exception):
    """Another holder kept a lock longer than the wait allowed."""


class Pending(Protocol):
    """A value about to be written: where it can fail before anything is spent, it has."""

    def commit(self, data: bytes) -> None:
        """Write the value durably, replacing the old one at once (StoreUnusable on failure)."""
        ...

    def discard(self) -> None:
        """Forget it if it was not committed (a no-op after a commit)."""
        ...


class Store(Protocol):
    """Values, logs and locks, named by slash-separated keys such as `tokens/<digest>`."""

    @property
    def where(self) -> str:
        """The store as a user would find it (a folder, a database table), never a password."""
        ...

    def load(self, key: str) -> bytes | None:
        """The value, or None when there is none."""
        ...

    def pending(self, key: str) -> Pending:
        """A new value for `key`, ready to commit; StoreUnusable when the store cannot take it."""
        ...

    def locked(self, key: str, wait: float = LOCK_WAIT_SECONDS) -> AbstractContextManager[None]:
        """Hold `key`'s lock against every other process using this store (StoreUnusable,
        LockTimeout after `wait` seconds); a holder that dies lets go."""
        ...

    def append(self, log: str, line: str) -> None:
        """Add one line (no newline in it) to the log, atomically."""
        ...

    def lines(self, log: str) -> list[str]:
        """Every line of the log, oldest first ([] when there is none)."""
        ...


def commit_once(store: Store, key: str, data: bytes) -> None:
    """Write one value outright."""
    pending = store.pending(key)
    try:
        pending.commit(data)
    finally:
        pending.discard()
