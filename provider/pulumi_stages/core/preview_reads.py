"""Reads a check makes to vet a plan (the duplicate guard, record counts, adoption notes).

When the account cannot be read (a bad token, a wrong URL, no network) the preview fails with
the reason and the setting to fix, exactly where the `up` would fail: a guard is never skipped,
so a green preview is one the `up` can apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .config import REFRESH_SETTINGS, ApiSettings
from .errors import AccountUnreadable, ApiError, ForeignLink, TransportError, UnexpectedResponse
from .oauth import TokenRefreshFailed, TokenRefreshRefused

UNREADABLE = (ApiError, TransportError, ForeignLink, UnexpectedResponse)
"""Failures of a read itself; any other StagesError (a refusal, a config rule) passes as is."""


def unreadable_line(settings: ApiSettings, error: Exception, what: str) -> str:
    """The error, the setting that fixes it, and why the preview stops: the refresh settings
    when the token endpoint refused a grant, none when a refresh failed on this side (its own
    hint says what to do), else the base URL and the access token."""
    text = str(error).rstrip(".")
    if isinstance(error, TokenRefreshRefused):
        needed = ", ".join(settings.key(name) for name, _ in REFRESH_SETTINGS)
        text += f"; check {needed} and {settings.key('tokenUrl')}"
    elif not isinstance(error, TokenRefreshFailed) and settings.token_key not in text:
        text += (
            f"; check {settings.base_url_key} (or {settings.base_url_env}) and "
            f"{settings.token_key} (or {settings.token_env})"
        )
    return (
        f"{text}. Nothing was changed: the check before any write could not {what} (a preview "
        "stops at this check as an `up` does)."
    )


@contextmanager
def reading(settings: ApiSettings, what: str) -> Iterator[None]:
    """Run a check's reads; a read that fails fails the check, saying what it was for."""
    try:
        yield
    except UNREADABLE as error:
        raise AccountUnreadable(unreadable_line(settings, error, what)) from None
