"""HubSpot as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.registry import Adapter
from .export import export_section
from .section import HubSpotSection
from .stage import SETTINGS, DealStageProvider


def example(stages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """A section declaring these stages in order, in one deal pipeline."""
    declared = [{**stage, "probability": 0.5} for stage in stages]
    return {"deals": [{"name": "Sales", "stages": declared}]}


ADAPTER = Adapter(
    name="hubspot",
    settings=SETTINGS,
    dialect=DealStageProvider.dialect,
    section=HubSpotSection,
    export=export_section,
    example=example,
)
