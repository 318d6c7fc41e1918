"""What a user can do about a refused token, said the same way for every API and built from the
adapter's settings, so a 401 names the exact config key and environment variable to fix."""

from __future__ import annotations

from .config import ApiSettings


def auth_hint(settings: ApiSettings, status: int, forbidden: str) -> str | None:
    """The hint for a 401 (the token: where it comes from, and that it may have expired) or a
    403 (`forbidden`: what the token's user or scopes lack, in the API's terms); else None."""
    if status == 401:
        return f"check {settings.token_key} (or {settings.token_env}); it may have expired"
    if status == 403:
        return forbidden
    return None
