"""Reads a check makes to vet a plan (the duplicate guard, record counts, adoption notes).

When the account cannot be read (a bad token, a wrong URL, no network) the preview fails with
the reason and the setting to fix, exactly where the `up` would fail: a guard is never skipped,
so a green preview is one the `up` can apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .config import ApiSettings
from .errors import AccountUnreadable, ApiError, ForeignLink, TransportError, UnexpectedResponse

UNREADABLE = (ApiError, TransportError, ForeignLink, UnexpectedResponse)
"""Failures of a read itself; any other StagesError (a refusal, a config rule) passes as is."""


def unreadable_line(settings: ApiSettings, error: Exception, what: str) -> str:
    """The error, the setting that fixes it, and why the preview stops."""
    text = str(error).rstrip(".")
    if settings.token_key not in text:
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
