"""Each resource class's output types, worked out once per class rather than once per resource.

Pulumi's Python SDK (3.259 at least) calls `pulumi._types.resource_types(type(resource))` as it
resolves every resource's outputs, and that evaluates the class's annotations from scratch each
time (a throwaway class and `typing.get_type_hints` over string annotations): about 0.8 ms for an
Outreach `Stage` on a quiet core, most of a stage set's extra program time over the engine floor
at 1,000 stages. The answer depends on the class alone (its annotations and properties), so for
this package's resources it is kept per class; any other class goes to the SDK as before. An SDK
without that function is left alone: detected, never assumed from a version number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pulumi._types as sdk_types

TypesOf = Callable[[type], dict[str, type]]

_INSTALL = threading.Lock()


class MemoizedTypes:
    """The SDK's output-type lookup, answered from a per-class memo for subclasses of `ours`
    (each caller gets its own copy of the answer, as it did before)."""

    def __init__(self, lookup: TypesOf, ours: type) -> None:
        self.lookup, self.ours = lookup, ours
        self._memo: dict[type, dict[str, type]] = {}

    def __call__(self, cls: type) -> dict[str, type]:
        if not (isinstance(cls, type) and issubclass(cls, self.ours)):
            return self.lookup(cls)
        found = self._memo.get(cls)
        if found is None:
            found = self._memo.setdefault(cls, self.lookup(cls))
        return dict(found)


def install(ours: type) -> None:
    """Memoize the SDK's output-type lookup for subclasses of `ours`, once per process."""
    with _INSTALL:
        lookup: Any = getattr(sdk_types, "resource_types", None)
        if not callable(lookup) or isinstance(lookup, MemoizedTypes):
            return
        sdk_types.resource_types = MemoizedTypes(lookup, ours)  # type: ignore[assignment]
