"""The adapters: each CRM registers itself here, and the generic parts are built from the list.

An adapter is one folder `pulumi_stages/<crm>/` whose `adapter.py` defines `ADAPTER`; it is found
by looking, so a new CRM edits no file outside its folder (and its emulator module). Adapters
defined elsewhere (a plugin, a test) call `register`. `StageSetSpec`, `StageSet`, the JSON
Schema and the `pulumi-stages export` command are built from `adapters()`.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ApiSettings
from .errors import ConfigError
from .http import ApiClient, Dialect
from .sections import SectionSpec

Exporter = Callable[[ApiClient, Callable[[int], None]], dict[str, Any]]
"""Reads an account and returns its section of a stage set (calling back with a running count)."""

Example = Callable[[Sequence[Mapping[str, str]]], dict[str, Any]]
"""Makes a section declaring the given stages (`name`, optional `key`) in order, in one container
where the CRM has containers: the shared fault matrix runs every adapter through it."""


@dataclass(frozen=True, order=True)
class Place:
    """Where an item sits in an account, in the terms of the exported section: its kind (the
    path of section keys, e.g. "boards" or "boards.stages"), the name of the container that
    holds it ("" for the account itself) and its own name."""

    kind: str
    container: str
    name: str


Locator = Callable[[str, Mapping[str, Any]], Place | None]
"""Where a resource of the adapter sits, from its type's name (e.g. "Stage") and its inputs or
outputs; None for a resource that is no listed item (an order). `pulumi-stages drift` matches
the exported listing against the stack's resources by these places."""


def flat_place(type_name: str, props: Mapping[str, Any]) -> Place | None:
    """The place of a resource in a CRM without containers: its name in the one `stages` list
    (the default locator; an adapter whose export nests lists gives its own)."""
    name = props.get("name")
    return Place("stages", "", name) if isinstance(name, str) else None


@dataclass(frozen=True)
class Adapter:
    """One CRM: its name (the `stages.yaml` section and CLI word), settings, wire dialect,
    section model, exporter, and an example section; for drift, where each resource sits in the
    export (`locate`) and what each container kind is called (`containers`, e.g. "board")."""

    name: str
    settings: ApiSettings
    dialect: Dialect
    section: type[SectionSpec]
    export: Exporter
    example: Example
    locate: Locator = flat_place
    containers: Mapping[str, str] = field(default_factory=dict)


class _Registry:
    """The registered adapters; thread-safe, discovered on first use."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.adapters: dict[str, Adapter] = {}
        self.discovered = False
        self.discovering = False
        self.version = 0

    def discover(self) -> None:
        """Import `pulumi_stages.<folder>.adapter` for every folder that has one."""
        with self.lock:
            if self.discovered or self.discovering:
                return
            self.discovering = True  # an adapter's import may ask for the registry again
            try:
                root = Path(__file__).resolve().parent.parent
                package = __package__.rpartition(".")[0]
                for folder in sorted(p for p in root.iterdir() if p.is_dir()):
                    if any(m.name == "adapter" for m in pkgutil.iter_modules([str(folder)])):
                        module = importlib.import_module(f"{package}.{folder.name}.adapter")
                        register(module.ADAPTER)
                self.discovered = True  # only once every adapter imported: else try again
            finally:
                self.discovering = False


_REGISTRY = _Registry()


def register(adapter: Adapter) -> Adapter:
    """Add an adapter (or replace one of the same name)."""
    with _REGISTRY.lock:
        _REGISTRY.adapters[adapter.name] = adapter
        _REGISTRY.version += 1
    return adapter


def unregister(name: str) -> None:
    """Remove an adapter (tests that register one of their own)."""
    with _REGISTRY.lock:
        _REGISTRY.adapters.pop(name, None)
        _REGISTRY.version += 1


def adapters() -> dict[str, Adapter]:
    """Every adapter, by name, in name order."""
    _REGISTRY.discover()
    with _REGISTRY.lock:
        return dict(sorted(_REGISTRY.adapters.items()))


def adapter(name: str) -> Adapter:
    """The adapter called `name`; a clear error naming the known ones otherwise."""
    known = adapters()
    if name not in known:
        raise ConfigError(f"no adapter called {name!r}; known: {', '.join(known) or 'none'}")
    return known[name]


def version() -> int:
    """Changes whenever the list of adapters does, so models built from it can be rebuilt."""
    _REGISTRY.discover()
    with _REGISTRY.lock:
        return _REGISTRY.version
