"""The crmstages provider: Pulumi's provider protocol over the same dynamic providers.

Each request finds its resource type's dynamic provider (`catalog`), hands it plain values, and
answers with what it returns, so every guard (duplicates, records, boards, the account check,
the journal) runs as it does for the Python door. The providers block on HTTP, so each call runs
on a worker thread: the engine's calls overlap as they do in the dynamic provider process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

from pulumi.dynamic import ConfigureRequest as DynamicConfigure
from pulumi.dynamic import ResourceProvider
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    ConstructRequest,
    ConstructResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from ..core import refreshed_inputs
from ..core.duplicates import OWNER_KEY, RESOURCE_KEY
from ..core.resource import PROVIDER_KEY
from . import schema
from .catalog import resource_type
from .component import construct_stage_set
from .config import PackageConfig
from .values import plain_map, wrap_map

try:
    VERSION = metadata.version("pulumi-stages")
except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
    VERSION = "0.0.0"

WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="crmstages")
"""The provider's calls run here, four at once as in the dynamic provider process; never on
asyncio's default executor, where a stage set's construct blocks one thread per child it
registers until the engine has created it (with the calls that create it queued behind)."""

OWN_INPUTS = (OWNER_KEY, RESOURCE_KEY)

DEFAULT_ORGANIZATION = "organization"
"""The organization a self-managed backend reports (the Python SDK's default), for the owner a
resource's create journal is named by: the engine's calls name project and stack only."""


def owner_of(urn: str) -> str:
    """`<organization>/<project>/<stack>` from a URN, as the Python door names a resource's
    owner (`managed_by`), so both doors share one create journal per stack."""
    _, _, rest = urn.partition("urn:pulumi:")
    stack, _, rest = rest.partition("::")
    project = rest.partition("::")[0]
    return f"{DEFAULT_ORGANIZATION}/{project}/{stack}"


def _name_of(urn: str) -> str:
    return urn.rpartition("::")[2]


class CrmStagesProvider(Provider):
    """The `crmstages` package: CRM stages, boards, pipelines, their orders, and `StageSet`."""

    def __init__(self) -> None:
        self._config = PackageConfig({})

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema.schema_text(VERSION))

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        args = plain_map(request.args)
        for key, value in request.variables.items():  # `crmstages:outreachBaseUrl` = value
            args.setdefault(key.rpartition(":")[2], value)
        self._config = PackageConfig(args)
        # no preview calls of create/update, as for the dynamic providers
        return ConfigureResponse(accept_secrets=True, supports_preview=False)

    def _provider(self, urn: str, values: Mapping[str, Any]) -> ResourceProvider:
        provider = resource_type(_type_of(urn)).provider(values)
        provider.configure(DynamicConfigure(self._config))  # type: ignore[arg-type]
        return provider

    async def check(self, request: CheckRequest) -> CheckResponse:
        news = _own(request.urn, plain_map(request.new_inputs))
        olds = plain_map(request.old_inputs)
        provider = self._provider(request.urn, news)
        result = await _on_worker(provider.check, olds, news)
        failures = [CheckFailure(f.property, f.reason) for f in result.failures or []]
        inputs = dict(result.inputs or {})
        for param in resource_type(_type_of(request.urn)).parameters():
            if param.name not in inputs and news.get(param.name) is not None:
                inputs[param.name] = news[param.name]  # one that picks the provider (object_type)
        return CheckResponse(inputs=wrap_map(inputs), failures=failures)

    async def diff(self, request: DiffRequest) -> DiffResponse:
        olds = plain_map(request.old_state)
        news = _own(request.urn, plain_map(request.new_inputs))
        provider = self._provider(request.urn, olds)
        result = await _on_worker(provider.diff, request.resource_id, olds, news)
        replaces = list(result.replaces or [])
        keys = _changed_keys(olds, news) if result.changes else []
        detailed = {
            key: PropertyDiff(
                PropertyDiffKind.UPDATE_REPLACE if key in replaces else PropertyDiffKind.UPDATE,
                input_diff=True,
            )
            for key in [*keys, *(r for r in replaces if r not in keys)]
        }
        return DiffResponse(
            changes=result.changes,
            replaces=replaces,
            stables=list(result.stables or []),
            delete_before_replace=bool(result.delete_before_replace),
            diffs=list(detailed),
            detailed_diff=detailed,
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        props = _own(request.urn, plain_map(request.properties))
        provider = self._provider(request.urn, props)
        result = await _on_worker(provider.create, props)
        return CreateResponse(str(result.id), wrap_map(_outputs(result.outs)))

    async def read(self, request: ReadRequest) -> ReadResponse:
        props = plain_map(request.properties)
        state = plain_map(request.inputs)
        provider = self._provider(request.urn, props)
        result = await _on_worker(_reading_with, state, provider.read, request.resource_id, props)
        if not result.id:
            return ReadResponse()
        inputs = result.inputs if result.inputs is not None else state
        return ReadResponse(str(result.id), wrap_map(_outputs(result.outs)), wrap_map(inputs))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        olds = plain_map(request.olds)
        news = _own(request.urn, plain_map(request.news))
        provider = self._provider(request.urn, olds)
        result = await _on_worker(provider.update, request.resource_id, olds, news)
        return UpdateResponse(wrap_map(_outputs(result.outs)))

    async def delete(self, request: DeleteRequest) -> None:
        props = plain_map(request.properties)
        provider = self._provider(request.urn, props)
        await _on_worker(provider.delete, request.resource_id, props)

    async def construct(self, request: ConstructRequest) -> ConstructResponse:
        return await construct_stage_set(request)


async def _on_worker(call: Callable[..., Any], *args: Any) -> Any:
    """Run one blocking provider call on the provider's own workers."""
    return await asyncio.get_running_loop().run_in_executor(WORKERS, call, *args)


def _reading_with(state: Mapping[str, Any], read: Callable[..., Any], *args: Any) -> Any:
    """`read` on a worker, knowing the state's inputs (the fields a refresh may write back)."""
    with refreshed_inputs.reading_with(state):
        return read(*args)


def _changed_keys(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The inputs a preview shows changing: those the state holds and the declaration sets to
    something else (a position a set owns, or an adoption switch, is no field of the state)."""
    return [
        key
        for key, value in news.items()
        if key in olds and value is not None and value != olds[key] and key not in OWN_INPUTS
    ]


def _type_of(urn: str) -> str:
    """The resource type of a URN (the last `$`-separated part of its type chain)."""
    return urn.split("::")[2].rpartition("$")[2]


def _own(urn: str, values: dict[str, Any]) -> dict[str, Any]:
    """The inputs every resource carries through the Python door, from the URN when absent."""
    values.setdefault(OWNER_KEY, owner_of(urn))
    values.setdefault(RESOURCE_KEY, _name_of(urn))
    return values


def _outputs(outs: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (outs or {}).items() if k != PROVIDER_KEY}
