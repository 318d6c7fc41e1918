"""The resource side of the adapter contract: what an adapter's provider class declares, and the
hooks it may override, in one screen.

An adapter subclasses `ApiResourceProvider` once per kind of object (a stage, a board, a
pipeline), sets the class attributes `ResourceAdapter` names and implements `make_backend`; it
may override the hooks below and nothing private. Core runs check, diff, create, read, update
and delete as a pipeline of named steps (validate, identify, adopt or recover, write, record:
`core.lifecycle`); an adapter's `create` or `delete` that adds to one calls `super()` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

from pulumi.dynamic import CheckFailure

from ..account import Account
from ..backend import Backend, Remote
from ..config import ApiSettings
from ..declared_inputs import DeclaredInputs
from ..http import Dialect
from ..ordering import OrderingProvider, OrderResource
from ..preview_reads import reading
from ..resource import ApiResource, ApiResourceProvider

__all__ = [
    "ApiResource",
    "ApiResourceProvider",
    "DeclaredInputs",
    "OrderResource",
    "OrderingProvider",
    "ResourceAdapter",
    "reading",
]


@runtime_checkable
class ResourceAdapter(Protocol):
    """What a provider class of an adapter declares (class attributes) and may override."""

    settings: ClassVar[ApiSettings]
    """The API's name, config namespace, environment prefix, default URL and identify call."""
    dialect: ClassVar[Dialect]
    """The wire dialect: content type, error details, rate-limit headers, 401/403 hints."""
    inputs: ClassVar[DeclaredInputs]
    """The resource's API fields by name, and the dotted path of the pydantic model `check`
    validates them with (imported on first use: a refresh or destroy never loads pydantic)."""
    kind: ClassVar[str]
    """The kind of object, naming its listing and journal entries in the account context."""
    noun: ClassVar[str]
    """What users call it in messages: "stage", "board", "pipeline"."""
    replace_on: ClassVar[frozenset[str]]
    """Inputs the API cannot change in place: a change replaces the object."""
    position_field: ClassVar[str | None]
    """The input a stage set's ordering resource owns (None: not ordered)."""
    identity_fields: ClassVar[tuple[str, ...]]
    """The inputs that pick out the object: its name first, then its container's."""
    editable: ClassVar[frozenset[str] | None]
    """The fields adoption may change in place (None: all it owns)."""
    adoption_view: ClassVar[str]
    """The listing view `adopt` searches ("" for every object of the kind)."""

    def make_backend(self, account: Account) -> Backend:
        """The adapter's backend over the account's client (required)."""
        ...

    def list_view(self, backend: Backend, view: str) -> Iterable[Remote]:
        """The objects of a listing view (hook; default: every object)."""
        ...

    def creation_problem(self, inputs: Mapping[str, Any]) -> CheckFailure | None:
        """Why the API would refuse to create this object, asked when `adopt` finds nothing to
        take over (hook; default: None)."""
        ...

    def outputs_for(self, remote: Remote, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs kept in state for the API's answer (hook; call `super()`)."""
        ...

    def owned_fields(self, inputs: Mapping[str, Any]) -> tuple[str, ...]:
        """The API fields the resource diffs and keeps (hook; call `super()`)."""
        ...
