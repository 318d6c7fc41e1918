"""HubSpot as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.registry import Adapter, Place
from .export import export_section
from .section import HubSpotSection
from .stage import SETTINGS, DealStageProvider


def example(stages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """A section declaring these stages in order, in one deal pipeline."""
    declared = [{**stage, "probability": 0.5} for stage in stages]
    return {"deals": [{"name": "Sales", "stages": declared}]}


STAGE_KINDS = {"DealStage": "deals", "TicketStage": "tickets"}
"""Each stage resource type and the section key of its pipelines."""


def locate(type_name: str, props: Mapping[str, Any]) -> Place | None:
    """Pipelines sit under their object type (known from a pipeline's outputs), stages in the
    pipeline they name by label (as the export lists them)."""
    name = props.get("name")
    if not isinstance(name, str):
        return None
    if type_name == "Pipeline":
        object_type = props.get("object_type")
        return Place(object_type, "", name) if isinstance(object_type, str) else None
    pipeline = props.get("pipeline")
    if type_name in STAGE_KINDS and isinstance(pipeline, str):
        return Place(f"{STAGE_KINDS[type_name]}.stages", pipeline, name)
    return None


ADAPTER = Adapter(
    name="hubspot",
    settings=SETTINGS,
    dialect=DealStageProvider.dialect,
    section=HubSpotSection,
    export=export_section,
    example=example,
    locate=locate,
    containers={"deals": "deal pipeline", "tickets": "ticket pipeline"},
)
