"""The provider's own memory (the create journal, rotated OAuth tokens), kept where the team's
state lives so that any runner sees what another one did: see `location.py` for where."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .files import FileStore
from .location import MEMORY_CONFIG, MEMORY_ENV, TOKEN_CACHE_ENV, Location, memory_location, shown
from .postgres import PostgresStore
from .sealing import KEY_CONFIG, KEY_ENV, Sealer, memory_secret
from .store import LOCK_WAIT_SECONDS, LockTimeout, Pending, Store, StoreUnusable, commit_once

__all__ = [
    "KEY_CONFIG",
    "KEY_ENV",
    "LOCK_WAIT_SECONDS",
    "MEMORY_CONFIG",
    "MEMORY_ENV",
    "TOKEN_CACHE_ENV",
    "FileStore",
    "Location",
    "LockTimeout",
    "Pending",
    "PostgresStore",
    "Sealer",
    "Store",
    "StoreUnusable",
    "commit_once",
    "memory_location",
    "memory_secret",
    "open_store",
    "shown",
]

_STORES: dict[Location, Store] = {}
_LOCK = threading.Lock()


def open_store(location: Location) -> Store:
    """The store at `location`, one per process (a store keeps no connection between calls)."""
    with _LOCK:
        store = _STORES.get(location)
        if store is None:
            store = _STORES[location] = _make(location)
        return store


def _make(location: Location) -> Store:
    if location.url.startswith(("postgres://", "postgresql://")):
        return PostgresStore(location.url)
    root = Path(unquote(urlsplit(location.url).path))
    folders = {"tokens": Path(location.tokens_folder)} if location.tokens_folder else None
    return FileStore(root, folders)
