"""One line per error raised on purpose, in the package's own words.

The SDK's provider server lets gRPC answer a provider's exception with `Unexpected <class ...>:
<message>`, and a component's with its traceback. Here a `StagesError` reaches the engine as the
dynamic door's line (`Exception calling application: <message>`), its config keys named as the
package's (`crmstages:outreachAccessToken` for `outreach:accessToken`); any other exception, a
bug, keeps the SDK's report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from pulumi.provider.experimental.server import ProviderServicer

from ..core.error_lines import PREFIX
from ..core.errors import StagesError
from .catalog import PACKAGE
from .config import config_keys

Handler = Callable[[Any, Any, Any], Coroutine[Any, Any, Any]]


def in_package_words(message: str) -> str:
    """A message with each core config key (`outreach:accessToken`) named as the package's."""
    for key in config_keys():
        message = re.sub(
            rf"(?<![\w:]){re.escape(key.core_key)}\b", f"{PACKAGE}:{key.name}", message
        )
    return message


async def _abort(context: Any, error: StagesError, prefix: str = PREFIX) -> None:
    await context.abort(grpc.StatusCode.UNKNOWN, f"{prefix}{in_package_words(str(error))}")


async def _one_line(handler: Handler, servicer: Any, request: Any, context: Any) -> Any:
    """The SDK's answer to one call, or one line for a StagesError."""
    try:
        return await handler(servicer, request, context)
    except StagesError as error:
        await _abort(context, error)
        raise  # abort raised already; never reached


class OneLineServicer(ProviderServicer):
    """The SDK's servicer, answering each `StagesError` with one line."""

    async def Check(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC's names
        return await _one_line(ProviderServicer.Check, self, request, context)

    async def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        return await _one_line(ProviderServicer.Diff, self, request, context)

    async def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        return await _one_line(ProviderServicer.Create, self, request, context)

    async def Read(self, request: Any, context: Any) -> Any:  # noqa: N802
        return await _one_line(ProviderServicer.Read, self, request, context)

    async def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
        return await _one_line(ProviderServicer.Update, self, request, context)

    async def Delete(self, request: Any, context: Any) -> Any:  # noqa: N802
        return await _one_line(ProviderServicer.Delete, self, request, context)

    async def Construct(self, request: Any, context: Any) -> Any:  # noqa: N802 - gRPC's name
        """As the SDK's, but a stage set that cannot be declared (a bad stages.yaml) is one
        line naming file, line and field, not a traceback."""
        try:
            return await self._construct(request, context)
        except StagesError as error:  # the engine says "resource 'x' has a problem:" first
            await _abort(context, error, prefix="")
            raise
        except Exception:  # a bug: the SDK's own report, with its traceback
            return await ProviderServicer.Construct(self, request, context)
