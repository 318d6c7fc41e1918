"""The API side of the adapter contract: what an adapter folder implements against its CRM, and
the core names it builds that on. An adapter imports core through here (and `resource`, the
resource side); anything else in core, and every `_name`, is core's own business.

Core never imports this package (it sits on top of core), so a protocol core itself consumes is
defined beside its consumer and re-exported here; the ones only adapters implement live here.
`docs/adapter-contract.md` walks through it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..account import Account
from ..answers import Answer
from ..backend import Backend, Remote, delete_if_present, fetch_or_none
from ..config import ApiSettings
from ..containers import ContainerKind, ListsContainers, container_id
from ..errors import (
    ContainerNotFound,
    NotEditable,
    NotFound,
    StagesError,
    UnexpectedResponse,
)
from ..hints import auth_hint
from ..http import ApiClient, Dialect
from ..paging import (
    Cursor,
    NextLink,
    Page,
    after_cursor,
    body_link,
    follow_cursor,
    follow_pages,
    link_header,
)
from ..ratelimit import X_RATELIMIT, RateHeaders
from ..records import (
    PAGE_SIZE,
    CountsManyStages,
    HoldsRecords,
    MovesInBatches,
    RecordCount,
    counted,
)

if TYPE_CHECKING:
    from ..registry import Adapter, Example, Exporter, Locator, Place, flat_place, register

_ON_USE = {
    name: "..registry"
    for name in ("Adapter", "Example", "Exporter", "Locator", "Place", "flat_place", "register")
}
"""Names imported when first used: only an adapter's registration needs the registry (and its
section models), never a provider process, which every engine operation starts."""


def __getattr__(name: str) -> Any:
    """A name of `_ON_USE`, from its module."""
    if name in _ON_USE:
        return getattr(importlib.import_module(_ON_USE[name], __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PAGE_SIZE",
    "X_RATELIMIT",
    "Account",
    "Adapter",
    "Answer",
    "ApiClient",
    "ApiSettings",
    "Backend",
    "ContainerKind",
    "ContainerNotFound",
    "CountsManyStages",
    "Cursor",
    "Dialect",
    "Example",
    "Exporter",
    "HoldsRecords",
    "ListsContainers",
    "Locator",
    "MovesInBatches",
    "NextLink",
    "NotEditable",
    "NotFound",
    "Page",
    "Place",
    "RateHeaders",
    "RecordCount",
    "Remote",
    "StageBackend",
    "StagesError",
    "UnexpectedResponse",
    "after_cursor",
    "auth_hint",
    "body_link",
    "container_id",
    "counted",
    "delete_if_present",
    "fetch_or_none",
    "flat_place",
    "follow_cursor",
    "follow_pages",
    "link_header",
    "register",
]


@runtime_checkable
class StageBackend(Backend, HoldsRecords, Protocol):
    """A stage's backend: the object calls of `Backend` (create, read, update, delete, find,
    list_all) and the records calls of `HoldsRecords` (count, page, move one). Every stage
    backend is both, since a stage set guards deletes by records and retires stages into others.
    It may add `MovesInBatches` and `CountsManyStages` where its API allows, and core uses them."""
