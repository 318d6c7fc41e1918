"""Bearer authentication that refreshes an expired access token from a refresh token.

APIs such as Outreach rotate the refresh token on every refresh and invalidate the old one, so the
newest one must outlive the process without ever entering Pulumi state. It is kept in a local
token cache, one JSON file per (API, token URL, client id, configured refresh token) with 0600
permissions, as cloud CLIs keep theirs: `$PULUMI_STAGES_TOKEN_CACHE`, else
`$XDG_CACHE_HOME/pulumi-stages/tokens`, else `~/.cache/pulumi-stages/tokens`. Each configured
refresh token starts its own chain, so stacks sharing an OAuth client never overwrite each other
and setting a new one in stack config (after re-authorizing) starts afresh.

A grant spends the refresh token it sends, so a refresh is done so that the rotated token is never
lost and never spent twice:

- one refresh per chain at a time, across processes: a file lock beside the chain's cache file
  (`<key>.lock`), held for the whole refresh; whoever takes it second re-reads the cache and uses
  the token the first one saved instead of spending a grant (threads of one process share an
  in-process lock first);
- the cache must be writable before the grant is sent: the temporary file the answer is written
  to is created first, so a read-only or missing folder fails with the old refresh token unspent;
- the answer is checked before it is trusted (a malformed one is a clear `Unauthorized`), then
  written (write, flush, fsync, rename) before the new access token is used.

No error text ever quotes a token or the client secret.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import ConfigError, Unauthorized

EXPIRY_MARGIN_SECONDS = 60.0
"""Refresh this long before the API's stated expiry."""

DEFAULT_LIFETIME_SECONDS = 7200.0
"""Lifetime assumed for an access token whose grant states none (Outreach's is two hours)."""

LOCK_WAIT_SECONDS = 120.0
"""How long to wait for another process's refresh of the same chain before giving up."""

CACHE_ENV = "PULUMI_STAGES_TOKEN_CACHE"

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


class TokenRefreshFailed(Unauthorized):
    """A refresh that failed on this side of the token endpoint: its answer was malformed, the
    rotated token could not be saved, or another process held the chain too long. The message is
    the whole line (no "rejected": the endpoint may well have said yes)."""

    def _line(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def default_cache_dir() -> Path:
    """Where rotated tokens are kept."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulumi-stages" / "tokens"


def _reason(exc: OSError) -> str:
    """The short system reason of an OSError, without the file names it may carry."""
    return exc.strerror or type(exc).__name__


class LockTimeout(Exception):
    """Another holder kept a chain's lock longer than the wait allowed."""


class CacheUnusable(Exception):
    """The cache folder cannot hold a lock or a new entry; `reason` says why (no file names)."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(_reason(exc))
        self.reason = _reason(exc)


class PendingEntry:
    """A cache entry about to be written: its temporary file already exists in the cache folder,
    so the folder is known to be writable before anything is spent. `commit` writes and renames
    it into place; `discard` removes it (a no-op after a commit)."""

    def __init__(self, directory: Path, target: Path) -> None:
        self._target = target
        descriptor, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=directory)
        self._descriptor: int | None = descriptor  # mkstemp creates it 0600
        self._temporary = Path(name)

    def commit(self, entry: dict[str, Any]) -> None:
        """Write the entry durably and atomically replace the cache file with it."""
        descriptor = self._descriptor
        assert descriptor is not None, "a pending entry is committed once"
        self._descriptor = None
        with os.fdopen(descriptor, "w") as handle:
            json.dump(entry, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(self._temporary, self._target)
        with contextlib.suppress(OSError):  # make the rename itself durable, where supported
            folder = os.open(self._target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def discard(self) -> None:
        """Remove the temporary file if it was not committed (or the commit failed)."""
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
            self._descriptor = None
        with contextlib.suppress(OSError):
            self._temporary.unlink()


class TokenCache:
    """One 0600 JSON file per credential chain in a 0700 folder, written atomically, and a lock
    file per chain that serializes refreshes across processes."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> dict[str, Any] | None:
        """The cached entry, or None."""
        try:
            data = json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _ensure_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    @contextlib.contextmanager
    def locked(self, key: str, wait: float | None = None) -> Iterator[None]:
        """Hold the chain's lock, shared with every process using this cache folder.

        An exclusive `flock` on `<key>.lock` (0600). The holder removes the file before it lets
        go, so none is left behind; a waiter that then wins the lock on the removed file sees that
        the path no longer names what it locked and tries again, so two holders never overlap.
        Raises CacheUnusable when the folder cannot be used and LockTimeout after `wait` seconds
        (default LOCK_WAIT_SECONDS).
        """
        path = self.directory / f"{key}.lock"
        deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
        while True:
            try:
                self._ensure_directory()
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise CacheUnusable(exc) from None
            try:
                held = self._try_lock(descriptor, deadline)
                current = os.stat(path) if held else None
            except FileNotFoundError:
                current = None  # the previous holder removed it after we opened it: again
            except OSError as exc:  # no locks on this file system, say
                os.close(descriptor)
                raise CacheUnusable(exc) from None
            except BaseException:
                os.close(descriptor)
                raise
            if current is not None and os.path.samestat(os.fstat(descriptor), current):
                break
            os.close(descriptor)
            if time.monotonic() >= deadline:
                raise LockTimeout(str(path))
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(descriptor)

    @staticmethod
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

    def pending(self, key: str) -> PendingEntry:
        """A new entry for the chain, ready to commit; raises CacheUnusable if the folder cannot
        take one."""
        try:
            self._ensure_directory()
            return PendingEntry(self.directory, self._path(key))
        except OSError as exc:
            raise CacheUnusable(exc) from None

    def save(self, key: str, entry: dict[str, Any]) -> None:
        """Replace the entry; only the owner can read it (CacheUnusable or OSError on failure)."""
        pending = self.pending(key)
        try:
            pending.commit(entry)
        finally:
            pending.discard()


@dataclass(frozen=True)
class _Granted:
    """A checked token answer."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    lifetime: float


def _check_grant(response: httpx.Response) -> _Granted | str:
    """The grant in a 200 answer, or what is wrong with it (never quoting a value)."""
    try:
        body = response.json()
    except ValueError:
        return "it is not JSON"
    if not isinstance(body, dict):
        return "it is not a JSON object"
    access = body.get("access_token")
    if access is None:
        return "it has no access_token"
    if not isinstance(access, str) or not access.strip():
        return "its access_token is not a non-empty string"
    refresh = body.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh.strip()):
        return "its refresh_token is not a non-empty string"
    lifetime = body.get("expires_in")
    if lifetime is None:
        return _Granted(access, refresh, DEFAULT_LIFETIME_SECONDS)
    if (
        isinstance(lifetime, bool)
        or not isinstance(lifetime, int | float)
        or not math.isfinite(lifetime)
        or lifetime <= 0
    ):
        return "its expires_in is not a positive number"
    return _Granted(access, refresh, float(lifetime))


def _expiry(entry: dict[str, Any]) -> float | None:
    """A cache entry's expiry time, or None when it has no usable one."""
    value = entry.get("expires_at")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced, and cut to a readable length."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text if len(text) <= 300 else text[:297] + "..."


class RefreshingAuth(httpx.Auth):
    """Sends the current access token; on a 401 refreshes it once and retries the request."""

    def __init__(
        self,
        api: str,
        access_token: str,
        credentials: RefreshCredentials | None,
        cache: TokenCache | None = None,
    ) -> None:
        self._api = api
        self._credentials = credentials
        self._cache = cache or TokenCache()
        self._lock = threading.Lock()
        self._access = access_token
        self._expires_at: float | None = None
        self._granted: str | None = None
        """The access token this instance's last grant returned."""
        if credentials is not None:
            self._seed = _digest(credentials.refresh_token)
            self._key = _digest(
                f"{api}|{credentials.token_url}|{credentials.client_id}|{self._seed}"
            )
            entry = self._cache.load(self._key)
            access = entry.get("access_token") if entry else None
            if entry and entry.get("seed") == self._seed and isinstance(access, str) and access:
                self._access = access
                self._expires_at = _expiry(entry) or 0.0  # unknown: refresh on first use

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401 or self._credentials is None:
            return
        retried = self._refresh(stale=token)
        request.headers["Authorization"] = f"Bearer {retried}"
        response = yield request
        if response.status_code == 401 and retried != self._granted:
            # The token came from the cache (another process saved it) and the API refuses it
            # (revoked): spend a grant after all, once.
            request.headers["Authorization"] = f"Bearer {self._refresh(stale=retried)}"
            yield request

    def _token(self) -> str:
        with self._lock:
            current, expires = self._access, self._expires_at
        usable = current and (expires is None or time.time() < expires - EXPIRY_MARGIN_SECONDS)
        if usable or self._credentials is None:
            return current
        return self._refresh(stale=current)

    @property
    def _token_path(self) -> str:
        assert self._credentials is not None
        return urlsplit(self._credentials.token_url).path or "/"

    def _refresh(self, stale: str) -> str:
        """A fresh access token. Threads of this process that find the token already refreshed
        reuse it; so do processes that find, under the chain's file lock, that another process
        has refreshed it and saved the result."""
        with self._lock:
            if self._access != stale:
                return self._access
            # The chain's file lock is held across the token request's network I/O, by design:
            # the grant spends the refresh token, so no other process may send it until the
            # rotated one is saved. It locks this one credential chain only (one file), never an
            # account context or anything else other API calls wait on.
            try:
                with self._cache.locked(self._key):
                    return self._refresh_locked(stale)
            except LockTimeout:
                raise TokenRefreshFailed(
                    self._api,
                    "POST",
                    self._token_path,
                    0,
                    f"Could not refresh the {self._api} access token: another process has been "
                    f"refreshing the same token for {LOCK_WAIT_SECONDS:.0f} s "
                    f"(lock file in {self._cache.directory})",
                    hint="try again once it has finished or been stopped",
                ) from None
            except CacheUnusable as exc:
                raise self._unusable_cache(exc.reason) from None

    def _refresh_locked(self, stale: str) -> str:
        credentials = self._credentials
        assert credentials is not None
        entry = self._cache.load(self._key) or {}
        chained = entry.get("seed") == self._seed
        if chained and self._adopt(entry, stale):
            return self._access
        cached_refresh = entry.get("refresh_token") if chained else None
        valid_cached = isinstance(cached_refresh, str) and cached_refresh
        refresh_token = str(cached_refresh) if valid_cached else credentials.refresh_token
        pending = self._cache.pending(self._key)  # before the grant: the folder must take it
        try:
            granted = self._grant(credentials, refresh_token, stale)
            expires_at = time.time() + granted.lifetime
            try:
                pending.commit(
                    {
                        "seed": self._seed,
                        "refresh_token": granted.refresh_token or refresh_token,
                        "access_token": granted.access_token,
                        "expires_at": expires_at,
                    }
                )
            except OSError as exc:
                raise self._unsaved(exc) from None
        finally:
            pending.discard()
        self._access, self._expires_at = granted.access_token, expires_at
        self._granted = granted.access_token
        return self._access

    def _adopt(self, entry: dict[str, Any], stale: str) -> bool:
        """Take the cached access token when another process has saved one since `stale` was
        ours and it is still valid; then no grant is needed."""
        access, expires_at = entry.get("access_token"), _expiry(entry)
        if not isinstance(access, str) or not access or access == stale:
            return False
        if expires_at is None or time.time() >= expires_at - EXPIRY_MARGIN_SECONDS:
            return False
        self._access, self._expires_at = access, expires_at
        return True

    def _grant(self, credentials: RefreshCredentials, refresh_token: str, stale: str) -> _Granted:
        """Send the refresh grant; the checked answer, or an Unauthorized without any secret."""
        secrets = (refresh_token, credentials.refresh_token, credentials.client_secret, stale)
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        if credentials.redirect_uri:
            form["redirect_uri"] = credentials.redirect_uri
        try:
            response = httpx.post(credentials.token_url, data=form, timeout=30.0)
        except httpx.TransportError as exc:
            reason = _scrub(str(exc) or type(exc).__name__, secrets)
            raise Unauthorized(
                self._api, "POST", self._token_path, 0, f"token refresh failed: {reason}"
            ) from None
        if response.status_code != 200:
            raise self._refusal(response, secrets)
        granted = _check_grant(response)
        if isinstance(granted, str):
            raise TokenRefreshFailed(
                self._api,
                "POST",
                self._token_path,
                response.status_code,
                f"Could not refresh the {self._api} access token: the token endpoint's answer to "
                f"POST {self._token_path} was malformed ({granted}), so no token was taken from "
                "it and the refresh token it was sent may already be spent",
                hint=f"{REAUTHORIZE}, and check that the token URL "
                f"{credentials.token_url} is the API's OAuth token endpoint",
            )
        return granted

    def _refusal(self, response: httpx.Response, secrets: tuple[str, ...]) -> Unauthorized:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and (body.get("error") or body.get("error_description")):
            message = f"{body.get('error')}: {body.get('error_description', '')}".strip()
        else:
            message = response.reason_phrase or "no reason given"
        return Unauthorized(
            self._api,
            "POST",
            self._token_path,
            response.status_code,
            f"could not refresh the access token ({_scrub(message, secrets)})",
            hint=REAUTHORIZE,
        )

    def _unusable_cache(self, reason: str) -> ConfigError:
        return ConfigError(
            f"Could not refresh the {self._api} access token: the token cache folder "
            f"{self._cache.directory} cannot be written ({reason}), and a refresh must save "
            "the rotated refresh token there before using it; nothing was sent, the refresh "
            f"token is unspent. Make that folder writable or set {CACHE_ENV} to one that is."
        )

    def _unsaved(self, exc: OSError) -> TokenRefreshFailed:
        return TokenRefreshFailed(
            self._api,
            "POST",
            self._token_path,
            200,
            f"The {self._api} token endpoint granted a new token, but the rotated refresh token "
            f"could not be saved in the token cache folder {self._cache.directory} "
            f"({_reason(exc)}); the previous refresh token is no longer valid",
            hint=f"{REAUTHORIZE}, and make that folder writable (or set {CACHE_ENV} to one "
            "that is)",
        )
