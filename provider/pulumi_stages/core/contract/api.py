"""The API side of the adapter contract: what an adapter folder implements against its CRM, and
the core names it builds that on. An adapter imports core through here (and `resource`, the
resource side); anything else in core, and every `_name`, is core's own business.

Core never imports this package (it sits on top of core), so a protocol core itself consumes is
defined beside its consumer and re-exported here; the ones only adapters implement live here.
`docs/adapter-contract.md` walks through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from ..account import Account
from ..backend import Backend, Remote, delete_if_present, fetch_or_none
from ..config import ApiSettings
from ..errors import (
    ContainerNotFound,
    NotEditable,
    NotFound,
    StagesError,
    UnexpectedResponse,
)
from ..http import ApiClient, Dialect
from ..ratelimit import X_RATELIMIT, RateHeaders
from ..records import (
    PAGE_SIZE,
    CountsManyStages,
    HoldsRecords,
    MovesInBatches,
    RecordCount,
    counted,
)
from ..registry import Adapter, Example, Exporter, Locator, Place, flat_place, register

__all__ = [
    "PAGE_SIZE",
    "X_RATELIMIT",
    "Account",
    "Adapter",
    "ApiClient",
    "ApiSettings",
    "Backend",
    "ContainerNotFound",
    "CountsManyStages",
    "Dialect",
    "Example",
    "Exporter",
    "HoldsRecords",
    "ListsContainers",
    "Locator",
    "MovesInBatches",
    "NotEditable",
    "NotFound",
    "Place",
    "RateHeaders",
    "RecordCount",
    "Remote",
    "StageBackend",
    "StagesError",
    "UnexpectedResponse",
    "counted",
    "delete_if_present",
    "fetch_or_none",
    "flat_place",
    "register",
]


@runtime_checkable
class StageBackend(Backend, HoldsRecords, Protocol):
    """A stage's backend: the object calls of `Backend` (create, read, update, delete, find,
    list_all) and the records calls of `HoldsRecords` (count, page, move one). Every stage
    backend is both, since a stage set guards deletes by records and retires stages into others.
    It may add `MovesInBatches` and `CountsManyStages` where its API allows, and core uses them."""


@runtime_checkable
class ListsContainers(Protocol):
    """The containers stages live in (Capsule boards, a HubSpot object type's pipelines), as the
    per-account lookup by name reads them: a stage declares its container by name, resolved in
    each account, so one stage set promotes from dev to production."""

    def live_named(self, name: str) -> Iterable[Remote]:
        """The live containers (not archived) the API gives for `name`, each with its `name` in
        `outs`; others may come along (a search by prefix), only exact names count."""
        ...
