"""The provider's own memory (the create journal, rotated OAuth tokens), kept where the team's
state lives so that any runner sees what another one did: see `location.py` for where."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import unquote, urlsplit

from .files import FileStore
from .location import MEMORY_CONFIG, MEMORY_ENV, TOKEN_CACHE_ENV, Location, memory_location, shown
from .sealing import KEY_CONFIG, KEY_ENV, Sealer, memory_secret
from .store import LOCK_WAIT_SECONDS, LockTimeout, Pending, Store, StoreUnusable, commit_once

if TYPE_CHECKING:
    from .postgres import PostgresStore
    from .s3 import S3Store

_ON_USE = {"PostgresStore": ".postgres", "S3Store": ".s3"}
"""Stores imported when first used: only a stack whose state lives there needs one."""


def __getattr__(name: str) -> Any:
    """A store class of `_ON_USE`, from its module."""
    if name in _ON_USE:
        return getattr(importlib.import_module(_ON_USE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "S3Store",
    "Sealer",
    "Store",
    "StoreUnusable",
    "Unreachable",
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


class Unreachable:
    """A store that cannot be opened: every use says why, where it is used."""

    def __init__(self, where: str, reason: str) -> None:
        self.where, self.reason = where, reason

    def _fail(self, *_: object, **__: object) -> NoReturn:
        raise StoreUnusable(self.reason)

    load = pending = locked = append = lines = _fail


def _make(location: Location) -> Store:
    if location.url.startswith(("postgres://", "postgresql://")):
        from .postgres import PostgresStore  # noqa: PLC0415 - see _ON_USE

        return PostgresStore(location.url)
    if location.url.startswith("s3://"):
        from .s3 import S3Store  # noqa: PLC0415 - see _ON_USE

        try:
            return S3Store(location.url)
        except StoreUnusable as exc:
            return Unreachable(shown(location.url), exc.reason)
    root = Path(unquote(urlsplit(location.url).path))
    folders = {"tokens": Path(location.tokens_folder)} if location.tokens_folder else None
    return FileStore(root, folders)
