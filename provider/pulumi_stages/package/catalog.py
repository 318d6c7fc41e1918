"""The package's resource types, found through the registry: every resource an adapter exports.

A type's token is `crmstages:<adapter>:<Name>` (`crmstages:outreach:Stage`). Its provider is the
dynamic provider its Python class builds: the class is constructed once per request with the
request's values while `REGISTRAR` captures the provider instead of registering anything, so a
class that picks its provider from an input (a HubSpot pipeline's object type) picks it here too.
"""

from __future__ import annotations

import functools
import importlib
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


def _module_of(adapter: Adapter) -> Any:
    """The adapter's package (`pulumi_stages.outreach`), whose `__all__` lists its resources."""
    return importlib.import_module(adapter.section.__module__.rpartition(".")[0])


def _type_name(cls: type[ApiResource]) -> str:
    """The class's own type name (`Stage`), as the dynamic door's type token has it."""
    return str(getattr(cls, "_resource_type_name", cls.__name__)).rpartition(":")[2]


@functools.cache
def _catalog(_version: int) -> dict[str, ResourceType]:
    found: dict[str, ResourceType] = {}
    for adapter in adapters().values():
        module = _module_of(adapter)
        for attribute in sorted(getattr(module, "__all__", ())):
            cls = getattr(module, attribute)
            if isinstance(cls, type) and issubclass(cls, ApiResource):
                kind = ResourceType(adapter, _type_name(cls), cls)
                found[kind.token] = kind
    return found


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
