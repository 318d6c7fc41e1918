"""The Tiny adapter: settings, dialect, backend, resources, section and exporter in one file."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import httpx
import pulumi
from pydantic import Field

from pulumi_stages.core import registry
from pulumi_stages.core.account import Account
from pulumi_stages.core.backend import Backend, Remote, delete_if_present, fetch_or_none
from pulumi_stages.core.config import ApiSettings
from pulumi_stages.core.declared_inputs import DeclaredInputs
from pulumi_stages.core.http import ApiClient
from pulumi_stages.core.models import AdoptableInputs, Name, Position
from pulumi_stages.core.ordering import OrderingProvider, OrderResource
from pulumi_stages.core.ratelimit import RateHeaders
from pulumi_stages.core.resource import ApiResource, ApiResourceProvider
from pulumi_stages.core.sections import (
    DeclaredSection,
    Declaring,
    Location,
    SectionSpec,
    SetBuilder,
    StageList,
    StageSpec,
    stage_repeats,
)

SETTINGS = ApiSettings(
    api="Tiny", namespace="tinycrm", env_prefix="TINYCRM", default_base_url="https://tiny.test/v1"
)


class TinyDialect:
    """Plain JSON, `{"error": "..."}` bodies, and a reset given in seconds from now."""

    api = "Tiny"
    content_type = "application/json"
    rate_headers = RateHeaders(prefix="RateLimit-", reset_form="seconds")

    def error_details(self, response: httpx.Response) -> tuple[str, str | None]:
        try:
            return (str(response.json().get("error")), None)
        except ValueError:
            return (response.reason_phrase, None)

    def hint(self, status: int, code: str | None, message: str) -> str | None:
        return None


def _remote(column: dict[str, Any]) -> Remote:
    outs = {"name": column["name"], "position": column.get("position"), "column_id": column["id"]}
    return Remote(id=str(column["id"]), outs=outs)


class TinyColumns:
    """The Tiny API's columns as a Backend."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def create(self, inputs: Mapping[str, Any]) -> Remote:
        body = {k: v for k, v in inputs.items() if v is not None}
        return _remote(self.client.request("POST", "/columns", json=body).json())

    def read(self, id_: str) -> Remote | None:
        response = fetch_or_none(self.client, f"/columns/{id_}")
        return _remote(response.json()) if response is not None else None

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        return _remote(self.client.request("PATCH", f"/columns/{id_}", json=dict(changes)).json())

    def delete(self, id_: str) -> None:
        delete_if_present(self.client, f"/columns/{id_}")

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        return [r for r in self.list_all() if r.outs["name"] == inputs["name"]]

    def list_all(self) -> Iterator[Remote]:
        url: str | None = "/columns"
        while url:
            page = self.client.request("GET", url).json()
            yield from (_remote(column) for column in page["columns"])
            url = self.client.next_page(page["next"]) if page.get("next") else None


class ColumnInputs(AdoptableInputs):
    """A declared Tiny column."""

    name: Name
    position: Position = None


class TinyColumnProvider(ApiResourceProvider):
    """Tiny columns."""

    settings: ClassVar[ApiSettings] = SETTINGS
    dialect: ClassVar[TinyDialect] = TinyDialect()
    inputs: ClassVar[DeclaredInputs] = DeclaredInputs(
        ("name", "position"), model=f"{__name__}.ColumnInputs"
    )
    kind: ClassVar[str] = "column"
    position_field: ClassVar[str | None] = "position"

    def make_backend(self, account: Account) -> Backend:
        return TinyColumns(account.client)


class Column(ApiResource, module="tinycrm", name="Column"):
    """A Tiny column."""

    output_names = ("column_id",)

    def __init__(
        self,
        resource_name: str,
        name: str,
        *,
        position: int | None = None,
        adopt: bool | None = None,
        ordered_by_set: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {
            "name": name,
            "position": position,
            "adopt": adopt,
            "ordered_by_set": ordered_by_set,
        }
        super().__init__(TinyColumnProvider(), resource_name, inputs, opts)


class TinyOrderProvider(OrderingProvider):
    """Positions Tiny columns."""

    stage_provider: ClassVar[type[ApiResourceProvider]] = TinyColumnProvider


class ColumnOrder(OrderResource, module="tinycrm", name="ColumnOrder"):
    """The order of a set's Tiny columns."""

    provider_class: ClassVar[type[OrderingProvider]] = TinyOrderProvider


class TinySection(SectionSpec):
    """Tiny columns, in order."""

    adopt: bool = False
    stages: list[StageSpec] = Field(default_factory=list)

    def declare(self, builder: SetBuilder) -> Declaring:
        columns = yield StageList(
            path=(),
            stages=self.stages,
            retired=(),
            stage=Column,
            shared={"ordered_by_set": True, "opts": builder.stage_options("position")},
            live=lambda stage, index: {
                "name": stage.name,
                "position": builder.position_hint(index),
                "adopt": self.adopt or None,
            },
            order=ColumnOrder,
        )
        return DeclaredSection({"tinycrm_columns": columns}, {k: c.id for k, c in columns.items()})

    def problems(self) -> list[tuple[Location, str]]:
        return stage_repeats(("stages",), self.stages)

    def stage_count(self) -> int:
        return len(self.stages)


def export_section(client: ApiClient, progress: Callable[[int], None]) -> dict[str, Any]:
    """The account's columns in position order, to adopt."""
    columns = sorted(TinyColumns(client).list_all(), key=lambda r: r.outs["position"] or 0)
    progress(len(columns))
    return {"adopt": True, "stages": [{"name": c.outs["name"]} for c in columns]}


ADAPTER = registry.Adapter(
    name="tinycrm",
    settings=SETTINGS,
    dialect=TinyColumnProvider.dialect,
    section=TinySection,
    export=export_section,
    example=lambda stages: {"stages": [dict(stage) for stage in stages]},
)


def register() -> None:
    """Add Tiny to the registry (undo with `registry.unregister("tinycrm")`)."""
    registry.register(ADAPTER)
