"""Outreach API v2 stages as Pulumi resources.

Names are imported from their modules on first use (PEP 562), so a provider process that
unpickles one class of this folder imports only that class's module.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .stage import Stage, StageOrder

_HOMES = {
    "Stage": ".stage",
    "StageOrder": ".stage",
}
"""Each public name's module."""

__all__ = [
    "Stage",
    "StageOrder",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
