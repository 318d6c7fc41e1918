"""The httpx `Auth` that sends an API's access token and, on expiry or a 401, refreshes it.

Kept apart from `oauth` (credentials and the token store) so that httpx loads with the first
request, not with every provider process that only checks or diffs; `oauth` says how a refresh
keeps a rotated token safe.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import ConfigError
from .http import shown_url
from .memory import KEY_CONFIG, MEMORY_CONFIG, LockTimeout, StoreUnusable
from .oauth import (
    DEFAULT_LIFETIME_SECONDS,
    EXPIRY_MARGIN_SECONDS,
    REAUTHORIZE,
    MemoryKeyMissing,
    RefreshCredentials,
    TokenRefreshFailed,
    TokenRefreshRefused,
    TokenStore,
    token_store,
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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
        cache: TokenStore | None = None,
    ) -> None:
        self._api = api
        self._credentials = credentials
        self._tokens = cache or (token_store(credentials) if credentials else None)
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

    @property
    def _cache(self) -> TokenStore:
        """The token store; only asked when refresh credentials exist."""
        assert self._tokens is not None
        return self._tokens

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
                    f"refreshing the same token for {self._cache.lock_wait:.0f} s "
                    f"(its lock is in {self._cache.where})",
                    hint="try again once it has finished or been stopped",
                ) from None
            except StoreUnusable as exc:
                raise self._unusable_cache(exc.reason) from None
            except MemoryKeyMissing:
                raise self._no_key() from None

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
        pending = self._cache.pending(self._key)  # before the grant: the store must take it
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
            except StoreUnusable as exc:
                raise self._unsaved(exc.reason) from None
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
            raise TokenRefreshRefused(
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
                f"{shown_url(credentials.token_url)} is the API's OAuth token endpoint",
            )
        return granted

    def _refusal(self, response: httpx.Response, secrets: tuple[str, ...]) -> TokenRefreshRefused:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and (body.get("error") or body.get("error_description")):
            message = f"{body.get('error')}: {body.get('error_description', '')}".strip()
        else:
            message = response.reason_phrase or "no reason given"
        return TokenRefreshRefused(
            self._api,
            "POST",
            self._token_path,
            response.status_code,
            f"could not refresh the access token ({_scrub(message, secrets)})",
            hint=REAUTHORIZE,
        )

    def _unusable_cache(self, reason: str) -> ConfigError:
        return ConfigError(
            f"Could not refresh the {self._api} access token: the provider's memory at "
            f"{self._cache.where} cannot be written ({reason}), and a refresh must save the "
            "rotated refresh token there before using it; nothing was sent, the refresh token "
            f"is unspent. Make it writable or set {MEMORY_CONFIG} to a place that is."
        )

    def _no_key(self) -> ConfigError:
        return ConfigError(
            f"Could not refresh the {self._api} access token: the rotated refresh token is kept "
            f"sealed in the provider's memory ({self._cache.where}) and this stack has no key "
            f"to seal it with; nothing was sent, the refresh token is unspent. Set "
            f"`pulumi config set --secret {KEY_CONFIG} <key>`, or use a passphrase secrets "
            "provider (PULUMI_CONFIG_PASSPHRASE)."
        )

    def _unsaved(self, reason: str) -> TokenRefreshFailed:
        return TokenRefreshFailed(
            self._api,
            "POST",
            self._token_path,
            200,
            f"The {self._api} token endpoint granted a new token, but the rotated refresh token "
            f"could not be saved in the provider's memory at {self._cache.where} "
            f"({reason}); the previous refresh token is no longer valid",
            hint=f"{REAUTHORIZE}, and make that place writable (or set {MEMORY_CONFIG} to one "
            "that is)",
        )
