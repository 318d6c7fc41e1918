"""The memory in a folder: beside a `file://` state backend, in a folder set in config, or in the
local cache when the backend keeps nothing of ours.

Values are 0600 files written whole (write, fsync, rename); logs are JSON-lines files, one
`O_APPEND` write per line; a lock is an exclusive `flock` on `<key>.lock`, which the kernel
releases when its holder dies, so a killed runner never leaves a lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from .store import LOCK_WAIT_SECONDS, LockTimeout, StoreUnusable


def _reason(exc: OSError) -> str:
    """The short system reason of an OSError, without the file names it may carry."""
    return exc.strerror or type(exc).__name__


class FilePending:
    """A value about to be written: its temporary file already exists beside the target, so the
    folder is known to be writable before anything is spent."""

    def __init__(self, target: Path) -> None:
        self._target = target
        descriptor, name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent
        )
        self._descriptor: int | None = descriptor  # mkstemp creates it 0600
        self._temporary = Path(name)

    def commit(self, data: bytes) -> None:
        descriptor = self._descriptor
        assert descriptor is not None, "a pending value is committed once"
        self._descriptor = None
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(self._temporary, self._target)
        except OSError as exc:
            raise StoreUnusable(_reason(exc)) from None
        with contextlib.suppress(OSError):  # make the rename itself durable, where supported
            folder = os.open(self._target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def discard(self) -> None:
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
            self._descriptor = None
        with contextlib.suppress(OSError):
            self._temporary.unlink()


class FileStore:
    """Keys `<namespace>/<name>` live in `<root>/<namespace>/` (0700), unless `folders` names
    another folder for a namespace (the token cache a user set with PULUMI_STAGES_TOKEN_CACHE)."""

    def __init__(self, root: Path, folders: Mapping[str, Path] | None = None) -> None:
        self.root = root
        self._folders = dict(folders or {})

    @property
    def where(self) -> str:
        return str(self.root)

    def folder(self, namespace: str) -> Path:
        """The folder holding one namespace's files."""
        return self._folders.get(namespace) or self.root / namespace

    def _path(self, key: str, suffix: str) -> Path:
        namespace, _, name = key.rpartition("/")
        return self.folder(namespace) / f"{name}{suffix}"

    def _ensure(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    def load(self, key: str) -> bytes | None:
        try:
            return self._path(key, ".json").read_bytes()
        except OSError:
            return None

    def pending(self, key: str) -> FilePending:
        target = self._path(key, ".json")
        try:
            self._ensure(target)
            return FilePending(target)
        except OSError as exc:
            raise StoreUnusable(_reason(exc)) from None

    @contextlib.contextmanager
    def locked(self, key: str, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
        """An exclusive `flock` on `<key>.lock` (0600). The holder removes the file before it
        lets go, so none is left behind; a waiter that then wins the lock on the removed file
        sees that the path no longer names what it locked and tries again, so two holders never
        overlap."""
        path = self._path(key, ".lock")
        deadline = time.monotonic() + wait
        while True:
            try:
                self._ensure(path)
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise StoreUnusable(_reason(exc)) from None
            try:
                held = _try_lock(descriptor, deadline)
                current = os.stat(path) if held else None
            except FileNotFoundError:
                current = None  # the previous holder removed it after we opened it: again
            except OSError as exc:  # no locks on this file system, say
                os.close(descriptor)
                raise StoreUnusable(_reason(exc)) from None
            except BaseException:
                os.close(descriptor)
                raise
            if current is not None and os.path.samestat(os.fstat(descriptor), current):
                break
            os.close(descriptor)
            if time.monotonic() >= deadline:
                raise LockTimeout(key)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(descriptor)

    def append(self, log: str, line: str) -> None:
        path = self._path(log, ".jsonl")
        try:
            self._ensure(path)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(descriptor, (line + "\n").encode())
            finally:
                os.close(descriptor)
        except OSError as exc:
            raise StoreUnusable(_reason(exc)) from None

    def lines(self, log: str) -> list[str]:
        try:
            return self._path(log, ".jsonl").read_text().splitlines()
        except OSError:
            return []


def _try_lock(descriptor: int, deadline: float) -> bool:
    """Take the lock, polling until the deadline; False when the time ran out."""
    pause = 0.01
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
