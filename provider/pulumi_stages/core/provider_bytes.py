"""Each provider class's serialized form, worked out once per class rather than once per resource.

Pulumi's Python SDK serializes a dynamic resource's provider (dill, then base64) for every
resource it declares: at 1,000 stages, 1,000 pickles of the same class. Our providers pickle no
state (`__getstate__` gives `{}`: credentials come from the stack config in the provider
process), so two instances of one class serialize to the same text, and it is kept per class;
a provider that pickles any state, or any other provider, goes to the SDK as before. An SDK
without that function is left alone: detected, never assumed from a version number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pulumi.dynamic.dynamic as sdk_dynamic

Serialize = Callable[[Any], str]

_INSTALL = threading.Lock()


class MemoizedProviders:
    """The SDK's provider serializer, answered from a per-class memo for stateless instances
    of `ours`."""

    def __init__(self, serialize: Serialize, ours: tuple[type, ...]) -> None:
        self.serialize, self.ours = serialize, ours
        self._memo: dict[type, str] = {}

    def __call__(self, provider: Any) -> str:
        if not isinstance(provider, self.ours) or provider.__getstate__() != {}:
            return self.serialize(provider)
        cls = type(provider)
        found = self._memo.get(cls)
        if found is None:
            found = self._memo.setdefault(cls, self.serialize(provider))
        return found


def install(*ours: type) -> None:
    """Memoize the SDK's provider serializer for stateless instances of `ours`, once per
    process."""
    with _INSTALL:
        serialize: Any = getattr(sdk_dynamic, "serialize_provider", None)
        if isinstance(serialize, MemoizedProviders):
            serialize.ours = (*serialize.ours, *ours)
            return
        if not callable(serialize):
            return
        sdk_dynamic.serialize_provider = MemoizedProviders(serialize, ours)
