"""A package's public names imported from their modules on first use (PEP 562), so a provider
process that unpickles one class of an adapter folder imports only that class's module."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """The module `__getattr__` of `package`: each name in `homes` from the (relative) module
    named there, imported when the name is first read; any other name is an AttributeError."""

    def lookup(name: str) -> Any:
        if name in homes:
            return getattr(importlib.import_module(homes[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return lookup
