"""Capsule CRM as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.registry import Adapter
from .export import export_section
from .section import CapsuleSection
from .stage import SETTINGS, CapsuleStageProvider


def example(stages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """A section declaring these stages in order."""
    return {"boards": [{"name": "Projects", "stages": [dict(stage) for stage in stages]}]}


ADAPTER = Adapter(
    name="capsule",
    settings=SETTINGS,
    dialect=CapsuleStageProvider.dialect,
    section=CapsuleSection,
    export=export_section,
    example=example,
)
