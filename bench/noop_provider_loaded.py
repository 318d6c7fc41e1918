"""The floor's providers in a process that has loaded what ours loads: the second yardstick.

`bench.noop_provider` imports only `pulumi`, so the floor's provider process starts without our
package and the libraries it brings (pydantic among them), and never loads the HTTP client ours
loads with its first request. These providers answer exactly as those do, from a module that
imports our Outreach stage module (what unpickling ours imports), and they load httpx and
tenacity on the first call that sends a request in ours (create, read, update, delete; a check
or diff sends none): `python -m bench.engine --floor loaded` then compares our stage set with a
floor that pays our imports, when ours pays them, but makes no API call.
"""

from __future__ import annotations

import importlib
from typing import Any

from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

import pulumi_stages.outreach.stage  # noqa: F401 - what unpickling ours imports
from bench.noop_provider import NoopOrderProvider, NoopProvider, NoopStageProvider


def _as_a_request_would() -> None:
    """Load the HTTP client's libraries, as ours does with its first request (once: the
    import system keeps them)."""
    importlib.import_module("httpx")
    importlib.import_module("tenacity")


class _Loaded(NoopProvider):
    """A no-op provider that loads the HTTP libraries where ours sends a request."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        _as_a_request_would()
        return super().create(props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        _as_a_request_would()
        return super().read(id_, props)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _as_a_request_would()
        return super().update(_id, olds, news)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        _as_a_request_would()
        super().delete(_id, _props)


class LoadedStageProvider(_Loaded, NoopStageProvider):
    """`NoopStageProvider`, pickled by reference to this module."""


class LoadedOrderProvider(_Loaded, NoopOrderProvider):
    """`NoopOrderProvider`, pickled by reference to this module."""
