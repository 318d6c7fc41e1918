"""The floor's providers in a process that has loaded what ours loads: the second yardstick.

`bench.noop_provider` imports only `pulumi`, so the floor's provider process starts without our
package, never loads the HTTP client ours loads with its first request, nor the validation
(pydantic) ours loads with its first check. These providers answer exactly as those do, from a
module that imports our Outreach stage module (what unpickling ours imports); they load our
validation and the Outreach inputs model on check (which also precedes every create and update),
httpx on the first call that sends a request in ours (create, read, update, delete; a diff sends
none) and tenacity on create (create recovery paces its attempts with it):
`python -m bench.engine --floor loaded` then compares our stage set with a floor that pays our
imports, when ours pays them, but makes no API call.
"""

from __future__ import annotations

import importlib
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, ReadResult, UpdateResult

import pulumi_stages.outreach.stage  # noqa: F401 - what unpickling ours imports
from bench.noop_provider import NoopOrderProvider, NoopProvider, NoopStageProvider


def _as_a_request_would() -> None:
    """Load the HTTP client, as ours does with its first request (once: the import system
    keeps it)."""
    importlib.import_module("httpx")


class _Loaded(NoopProvider):
    """A no-op provider that loads what ours loads, where ours loads it."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        importlib.import_module("pulumi_stages.core.checking")
        importlib.import_module("pulumi_stages.outreach.models")
        return super().check(olds, news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _as_a_request_would()
        importlib.import_module("tenacity")
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
