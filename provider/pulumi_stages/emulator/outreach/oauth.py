"""Outreach's OAuth 2 as the emulator keeps it: access tokens with a user, scopes and expiry, and
rotating refresh tokens (each grant returns a new one and invalidates the old). No HTTP here.

Sources: developers.outreach.io/api/getting-started (token lifetimes, the refresh request, the
60-second minting limit) and /api/oauth (redirect URIs are registered per app).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

RESOURCES = ("stages", "prospects")
"""The resource types the emulator serves; each has its own scopes."""
ALL_SCOPES = frozenset(f"{resource}.all" for resource in RESOURCES)
"""What a token gets unless a test names its scopes: everything the emulator serves."""
ACTION_FOR_METHOD = {
    "GET": "read",
    "HEAD": "read",
    "POST": "write",
    "PATCH": "write",
    "PUT": "write",
    "DELETE": "delete",
}
"""[doc] scopes are `<resource>.read` and `<resource>.all` (getting-started#authorization; [seen]
integrations ask for `stages.read`, `prospects.read`, `prospects.all`); [guess] `.write` and
`.delete` for the other methods, by analogy."""
SCOPE_FOR_METHOD = {method: f"stages.{action}" for method, action in ACTION_FOR_METHOD.items()}
"""The stage scope each method needs (the older name)."""
DEFAULT_USER_ID = 1
DEFAULT_REDIRECT_URI = "https://localhost/oauth/callback"
"""The redirect URI a refresh token is registered with unless a test names another [guess: any
URI the app registered; Outreach needs at least one per app, developers.outreach.io/api/oauth]."""


@dataclass
class AccessToken:
    """An issued access token, on behalf of one user."""

    scopes: frozenset[str]
    expires_at: float | None
    user_id: int = DEFAULT_USER_ID
    forbidden_methods: frozenset[str] = frozenset()
    """Methods the user's governance profile forbids although the scopes allow them."""

    def expired(self, now: float) -> bool:
        """Whether the token's lifetime is over."""
        return self.expires_at is not None and now >= self.expires_at

    def lacking_scope(self, method: str, resource: str = "stages") -> str | None:
        """None when the scopes allow the method on `resource` (`stages`, `prospects`), else the
        scope it lacks ([doc] scopes are not additive: stages.write does not grant stages.read;
        `<resource>.all` grants every call on that resource)."""
        action = ACTION_FOR_METHOD.get(method)
        everything = f"{resource}.all"
        needed = f"{resource}.{action}" if action is not None else everything
        return None if needed in self.scopes or everything in self.scopes else needed


@dataclass
class Grant:
    """A refresh token: which client may use it, with which redirect URI, for which user."""

    client_id: str
    client_secret: str
    scopes: frozenset[str]
    redirect_uri: str = DEFAULT_REDIRECT_URI
    user_id: int = DEFAULT_USER_ID


class OAuthError(Exception):
    """A refused token request; `error` is the OAuth error code (RFC 6749 section 5.2)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass
class OutreachOAuth:
    """Tokens of one emulated account; thread-safe."""

    access_lifetime: float = 7200.0  # [doc] access tokens live 2 hours
    grant_interval: float = 60.0  # [doc] one access token per user per 60 s, else 429
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    last_grant: dict[int, float] = field(default_factory=dict)
    """When each user was last granted a token."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_access_token(
        self,
        token: str,
        scopes: frozenset[str] = ALL_SCOPES,
        lifetime: float | None = None,
        user_id: int = DEFAULT_USER_ID,
        forbidden_methods: frozenset[str] = frozenset(),
    ) -> None:
        """Accept `token` for `user_id`, optionally only for `lifetime` seconds."""
        expires = None if lifetime is None else time.time() + lifetime
        with self.lock:
            self.tokens[token] = AccessToken(scopes, expires, user_id, forbidden_methods)

    def add_refresh_token(
        self,
        client_id: str,
        client_secret: str,
        scopes: frozenset[str] = ALL_SCOPES,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        user_id: int = DEFAULT_USER_ID,
    ) -> str:
        """A new refresh token for this client and user, as an authorization through
        `redirect_uri` would give."""
        token = f"rt-{secrets.token_hex(16)}"
        with self.lock:
            self.grants[token] = Grant(client_id, client_secret, scopes, redirect_uri, user_id)
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
        """The `refresh_token` grant: a new access token and a new refresh token.

        [doc] the vendor's refresh request carries client_id, client_secret, redirect_uri,
        grant_type=refresh_token and refresh_token (developers.outreach.io/api/getting-started;
        [seen] JosiahParry/outReach's refresh_auth_token sends it too), so a request without the
        registered redirect_uri is refused here, as it may be in production. The error codes are
        RFC 6749's [guess: Outreach's wording is undocumented].
        """
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
            if not form.get("redirect_uri"):
                raise OAuthError(
                    400,
                    "invalid_request",
                    "The request is missing a required parameter: redirect_uri.",
                )
            if form["redirect_uri"] != grant.redirect_uri:
                raise OAuthError(
                    400,
                    "invalid_grant",
                    "The redirect_uri does not match the one the authorization used.",
                )
            now = time.time()
            if now - self.last_grant.get(grant.user_id, 0.0) < self.grant_interval:
                raise OAuthError(429, "rate_limited", "Too many token requests; wait a minute.")
            self.last_grant[grant.user_id] = now
            del self.grants[form["refresh_token"]]
            access = f"at-{secrets.token_hex(16)}"
            rotated = f"rt-{secrets.token_hex(16)}"
            self.tokens[access] = AccessToken(
                grant.scopes, now + self.access_lifetime, grant.user_id
            )
            self.grants[rotated] = grant
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.access_lifetime),
            "refresh_token": rotated,
            "scope": " ".join(sorted(grant.scopes)),
            "created_at": int(now),
        }
