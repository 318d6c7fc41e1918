"""The package's resource types, found through the registry: every resource an adapter exports.

A type's token is `crmstages:<adapter>:<Name>` (`crmstages:outreach:Stage`), as each resource class
of an adapter declares it (`module="outreach", name="Stage"`). Its provider is the
dynamic provider its Python class builds: the class is constructed once per request with the
request's values while `REGISTRAR` captures the provider instead of registering anything, so a
class that picks its provider from an input (a HubSpot pipeline's object type) picks it here too.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import ResourceProvider

from ..core.registry import Adapter, adapters, version
from ..core.resource import REGISTRAR, ApiResource, Registrar

PACKAGE = "crmstages"
INTERNAL = frozenset({"resource_name", "opts", "ordered_by_set", "retirement"})
"""Constructor arguments that are no declared input: the name, options, and what a set passes."""


@dataclass(frozen=True)
class ResourceType:
    """One resource type of the package: its adapter, its Python class and its token."""

    adapter: Adapter
    name: str
    cls: type[ApiResource]

    @property
    def token(self) -> str:
        return f"{PACKAGE}:{self.adapter.name}:{self.name}"

    def parameters(self) -> list[inspect.Parameter]:
        """The declared inputs: the class's constructor arguments a program sets."""
        params = list(inspect.signature(self.cls.__init__).parameters.values())[1:]
        return [p for p in params if p.name not in INTERNAL]

    def provider(self, values: Mapping[str, Any]) -> ResourceProvider:
        """The dynamic provider the class would build for these inputs (or state)."""
        captured: list[ResourceProvider] = []

        def capture(
            _resource: ApiResource,
            provider: ResourceProvider,
            _name: str,
            _props: dict[str, Any],
            _opts: pulumi.ResourceOptions | None,
        ) -> None:
            captured.append(provider)

        with registering(capture):
            try:
                self.cls(**self._arguments(values))
            except Exception:  # a value the class cannot take (an unknown list): any will do
                self.cls(**self._arguments({}))
        return captured[0]

    def _arguments(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Constructor arguments from `values`; a required one missing gets an empty value."""
        arguments: dict[str, Any] = {}
        for param in inspect.signature(self.cls.__init__).parameters.values():
            if param.name in ("self", "opts", "retirement", "ordered_by_set"):
                continue
            if param.name == "resource_name":
                arguments[param.name] = "probe"
            elif values.get(param.name) is not None:
                arguments[param.name] = values[param.name]
            elif param.default is inspect.Parameter.empty:
                arguments[param.name] = _empty(str(param.annotation))
        return arguments


def _empty(annotation: str) -> Any:
    """An empty value of an argument's annotated kind (a list, a mapping, else None)."""
    if annotation.startswith(("Sequence", "list")):
        return []
    if annotation.startswith(("Mapping", "dict")):
        return {}
    return None


@contextmanager
def registering(registrar: Registrar) -> Iterator[None]:
    """Resources built in this block register through `registrar`."""
    token = REGISTRAR.set(registrar)
    try:
        yield
    finally:
        REGISTRAR.reset(token)


def _subclasses(cls: type[ApiResource]) -> Iterator[type[ApiResource]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _declared_as(cls: type[ApiResource]) -> tuple[str, str]:
    """The adapter and type name a resource class declares (`module="outreach", name="Stage"`
    make the dynamic type `dynamic/outreach:Stage`); ("", "") for a base with no module."""
    declared = str(getattr(cls, "_resource_type_name", ""))
    module, _, name = declared.partition(":")
    return (module.partition("/")[2], name)


@functools.cache
def _catalog(_version: int) -> dict[str, ResourceType]:
    known = adapters()
    found: dict[str, ResourceType] = {}
    for cls in _subclasses(ApiResource):
        crm, name = _declared_as(cls)
        if crm in known:
            kind = ResourceType(known[crm], name, cls)
            found[kind.token] = kind
    return dict(sorted(found.items()))


def resource_types() -> dict[str, ResourceType]:
    """Every resource type of the registered adapters, by token."""
    return _catalog(version())


def resource_type(token: str) -> ResourceType:
    """The type of `token`; a clear error naming the known ones otherwise."""
    known = resource_types()
    if token not in known:
        raise ValueError(f"crmstages has no resource type {token!r}; known: {', '.join(known)}")
    return known[token]


def token_of(cls: type[ApiResource]) -> str:
    """The token of a resource class (a stage set's child)."""
    for kind in resource_types().values():
        if kind.cls is cls:
            return kind.token
    raise ValueError(f"{cls.__name__} is not a resource of a registered adapter")
