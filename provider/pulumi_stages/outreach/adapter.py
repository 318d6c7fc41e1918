"""Outreach as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.registry import Adapter
from .api import SETTINGS
from .export import export_section
from .section import OutreachSection
from .stage import OutreachStageProvider


def example(stages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """A section declaring these stages in order."""
    return {"stages": [dict(stage) for stage in stages]}


ADAPTER = Adapter(
    name="outreach",
    settings=SETTINGS,
    dialect=OutreachStageProvider.dialect,
    section=OutreachSection,
    export=export_section,
    example=example,
)
