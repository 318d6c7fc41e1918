"""One line per error raised on purpose, whichever Pulumi SDK serves the dynamic provider.

Up to 3.259 (at least) a provider's exception reaches gRPC, which answers the engine with
`Exception calling application: <message>` and logs the traceback (dropped here for a
`StagesError`). Newer SDKs (3.272 does) wrap each call in `_abort_with_traceback`, which sends
`traceback.format_exc()` as the error: a 70-line traceback for a bad token. There the server
module's `traceback` is swapped for one that renders a `StagesError` as the same single line;
any other exception, a bug, keeps its traceback. Detected, never assumed from a version number.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import ModuleType
from typing import Any

from .errors import StagesError

PREFIX = "Exception calling application: "
"""What gRPC puts before an exception's text; kept on every SDK so the line reads the same."""

SERVER_MODULE = "pulumi.dynamic.__main__"


class _HideStagesErrorTracebacks(logging.Filter):
    """Drops gRPC's traceback log for errors raised on purpose: their one line reaches the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StagesError)


class OneLineTracebacks:
    """The `traceback` module as the SDK's server sees it, but a StagesError is one line."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        """The handled exception's one line when it is a StagesError, else its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, StagesError):
            return f"{PREFIX}{error}"
        return traceback.format_exc(limit, chain)


def _servers() -> list[ModuleType]:
    """The dynamic-provider server modules loaded here (`python -m pulumi.dynamic` is
    `__main__`)."""
    found = []
    for name in ("__main__", SERVER_MODULE):
        module = sys.modules.get(name)
        spec = getattr(module, "__spec__", None)
        if module is not None and SERVER_MODULE in (name, getattr(spec, "name", "")):
            found.append(module)
    return found


def install() -> None:
    """Make every error raised on purpose reach the engine as one line, on this SDK."""
    logging.getLogger("grpc._server").addFilter(_HideStagesErrorTracebacks())
    for module in _servers():
        wraps_calls = hasattr(module, "_abort_with_traceback")
        if wraps_calls and module.__dict__.get("traceback") is traceback:
            module.__dict__["traceback"] = OneLineTracebacks()
