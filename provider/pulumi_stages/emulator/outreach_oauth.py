"""Outreach's OAuth 2 as the emulator keeps it: access tokens with scopes and expiry, and rotating
refresh tokens (each grant returns a new one and invalidates the old)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

ALL_SCOPES = frozenset({"stages.all"})
SCOPE_FOR_METHOD = {
    "GET": "stages.read",
    "HEAD": "stages.read",
    "POST": "stages.write",
    "PATCH": "stages.write",
    "PUT": "stages.write",
    "DELETE": "stages.delete",
}


@dataclass
class AccessToken:
    """An issued access token."""

    scopes: frozenset[str]
    expires_at: float | None

    def expired(self, now: float) -> bool:
        """Whether the token's lifetime is over."""
        return self.expires_at is not None and now >= self.expires_at

    def allows(self, method: str) -> str | None:
        """None when the scopes allow the method, else the scope it lacks."""
        needed = SCOPE_FOR_METHOD.get(method, "stages.all")
        return None if needed in self.scopes or "stages.all" in self.scopes else needed


@dataclass
class Grant:
    """A refresh token and what it may mint."""

    client_id: str
    client_secret: str
    scopes: frozenset[str]


class OAuthError(Exception):
    """A refused token request; `error` is the OAuth error code."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass
class OutreachOAuth:
    """Tokens of one emulated account; thread-safe."""

    access_lifetime: float = 7200.0
    grant_interval: float = 60.0  # [seen] at most one grant per user per 60 s, else 429
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    last_grant: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_access_token(
        self, token: str, scopes: frozenset[str] = ALL_SCOPES, lifetime: float | None = None
    ) -> None:
        """Accept `token`, optionally only for `lifetime` seconds."""
        expires = None if lifetime is None else time.time() + lifetime
        with self.lock:
            self.tokens[token] = AccessToken(scopes, expires)

    def add_refresh_token(
        self, client_id: str, client_secret: str, scopes: frozenset[str] = ALL_SCOPES
    ) -> str:
        """A new refresh token for this client, as an authorization would give."""
        token = f"rt-{secrets.token_hex(16)}"
        with self.lock:
            self.grants[token] = Grant(client_id, client_secret, scopes)
        return token

    def revoke_access_token(self, token: str) -> None:
        """Stop accepting `token`."""
        with self.lock:
            self.tokens.pop(token, None)

    def lookup(self, token: str) -> AccessToken | None:
        """The access token, if it was ever issued."""
        with self.lock:
            return self.tokens.get(token)

    def refresh(self, form: dict[str, str]) -> dict[str, object]:
        """The `refresh_token` grant: a new access token and a new refresh token."""
        if form.get("grant_type") != "refresh_token":
            raise OAuthError(400, "unsupported_grant_type", "Only refresh_token is supported.")
        with self.lock:
            grant = self.grants.get(form.get("refresh_token", ""))
            if grant is None:
                raise OAuthError(
                    400, "invalid_grant", "The refresh token is invalid, expired or revoked."
                )
            if (form.get("client_id"), form.get("client_secret")) != (
                grant.client_id,
                grant.client_secret,
            ):
                raise OAuthError(401, "invalid_client", "Client authentication failed.")
            now = time.time()
            if now - self.last_grant < self.grant_interval:
                raise OAuthError(429, "rate_limited", "Too many token requests; wait a minute.")
            self.last_grant = now
            del self.grants[form["refresh_token"]]
            access = f"at-{secrets.token_hex(16)}"
            rotated = f"rt-{secrets.token_hex(16)}"
            self.tokens[access] = AccessToken(grant.scopes, now + self.access_lifetime)
            self.grants[rotated] = grant
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.access_lifetime),
            "refresh_token": rotated,
            "scope": " ".join(sorted(grant.scopes)),
            "created_at": int(now),
        }
