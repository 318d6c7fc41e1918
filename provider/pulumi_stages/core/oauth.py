"""Bearer authentication that refreshes an expired access token from a refresh token.

APIs such as Outreach rotate the refresh token on every refresh and invalidate the old one, so the
newest one must outlive the process without ever entering Pulumi state. It is kept in a local
token cache, one JSON file per (API, token URL, client id, configured refresh token) with 0600
permissions, as cloud CLIs keep theirs: `$PULUMI_STAGES_TOKEN_CACHE`, else
`$XDG_CACHE_HOME/pulumi-stages/tokens`, else `~/.cache/pulumi-stages/tokens`. Each configured
refresh token starts its own chain, so stacks sharing an OAuth client never overwrite each other
and setting a new one in stack config (after re-authorizing) starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .errors import Unauthorized

EXPIRY_MARGIN_SECONDS = 60.0
"""Refresh this long before the API's stated expiry."""


@dataclass(frozen=True)
class RefreshCredentials:
    """What a refresh needs; secrets never show in repr. `redirect_uri`, when set, is sent with
    the grant: Outreach's documented refresh request carries the app's redirect URI."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    redirect_uri: str | None = None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def default_cache_dir() -> Path:
    """Where rotated tokens are kept."""
    configured = os.environ.get("PULUMI_STAGES_TOKEN_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulumi-stages" / "tokens"


class TokenCache:
    """One 0600 JSON file per credential chain, written atomically."""

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

    def save(self, key: str, entry: dict[str, Any]) -> None:
        """Replace the entry; only the owner can read it."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self._path(key).with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(entry, handle)
        os.replace(temporary, self._path(key))


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
        if credentials is not None:
            self._seed = _digest(credentials.refresh_token)
            self._key = _digest(
                f"{api}|{credentials.token_url}|{credentials.client_id}|{self._seed}"
            )
            entry = self._cache.load(self._key)
            if entry and entry.get("seed") == self._seed and entry.get("access_token"):
                self._access = str(entry["access_token"])
                self._expires_at = float(entry.get("expires_at") or 0)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and self._credentials is not None:
            request.headers["Authorization"] = f"Bearer {self._refresh(stale=token)}"
            yield request

    def _token(self) -> str:
        with self._lock:
            current, expires = self._access, self._expires_at
        usable = current and (expires is None or time.time() < expires - EXPIRY_MARGIN_SECONDS)
        if usable or self._credentials is None:
            return current
        return self._refresh(stale=current)

    def _refresh(self, stale: str) -> str:
        """A fresh access token; threads that find the token already refreshed reuse it."""
        credentials = self._credentials
        assert credentials is not None
        with self._lock:
            if self._access != stale:
                return self._access
            entry = self._cache.load(self._key) or {}
            chained = entry.get("seed") == self._seed and entry.get("refresh_token")
            refresh_token = str(entry["refresh_token"]) if chained else credentials.refresh_token
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
                raise Unauthorized(
                    self._api, "POST", "/oauth/token", 0, f"token refresh failed: {exc}"
                ) from None
            if response.status_code != 200:
                raise self._refusal(response)
            granted = response.json()
            self._access = str(granted["access_token"])
            lifetime = float(granted.get("expires_in") or 7200)
            self._expires_at = time.time() + lifetime
            self._cache.save(
                self._key,
                {
                    "seed": self._seed,
                    "refresh_token": granted.get("refresh_token", refresh_token),
                    "access_token": self._access,
                    "expires_at": self._expires_at,
                },
            )
            return self._access

    def _refusal(self, response: httpx.Response) -> Unauthorized:
        try:
            body = response.json()
            message = f"{body.get('error')}: {body.get('error_description', '')}".strip()
        except ValueError:
            message = response.reason_phrase
        return Unauthorized(
            self._api,
            "POST",
            "/oauth/token",
            response.status_code,
            f"could not refresh the access token ({message})",
            hint="authorize again and set the new refresh token in stack config",
        )
