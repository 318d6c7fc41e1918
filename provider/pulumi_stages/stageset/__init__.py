"""Stage sets: ordered stages declared in `stages.yaml` or Python, applied with minimal writes.

The sections' models (`OutreachSection`, `CapsuleBoardSpec`, ...) live in each adapter's folder
and are found here by name, as is `StageSetSpec`, the model built from the registered adapters.
"""

import sys
from typing import Any

from ..core import registry
from ..core.sections import Spec
from .component import StageSet
from .source import StageSetError, load_file, load_text
from .spec import json_schema_text, shipped_schema_text, stage_set_model

__all__ = [
    "StageSet",
    "StageSetError",
    "StageSetSpec",
    "json_schema_text",
    "load_file",
    "load_text",
    "shipped_schema_text",
    "stage_set_model",
]


def __getattr__(name: str) -> Any:
    """`StageSetSpec`, and each adapter's section models by their class names."""
    if name == "StageSetSpec":
        return stage_set_model()
    for adapter in registry.adapters().values():
        found = getattr(sys.modules[adapter.section.__module__], name, None)
        if isinstance(found, type) and issubclass(found, Spec):
            return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
