"""HubSpot as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..core.registry import Adapter, Place
from .api import SETTINGS
from .export import export_section
from .kinds import CUSTOM_TYPE_ID, OTHER_TYPES, kind_of, pipeline_word
from .section import HubSpotSection
from .stage import DealStageProvider


def example(stages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """A section declaring these stages in order, in one deal pipeline."""
    declared = [{**stage, "probability": 0.5} for stage in stages]
    return {"deals": [{"name": "Sales", "stages": declared}]}


STAGE_KINDS = {"DealStage": "deals", "TicketStage": "tickets"}
"""Each typed stage resource and the section key of its pipelines (a `Stage` names its own)."""


def section_path(object_type: str) -> str:
    """Where an object type's pipelines sit in the exported section: their key, or for a
    custom object `custom_objects.<type id>`."""
    return object_type if object_type[:1].isalpha() else f"custom_objects.{object_type}"


def locate(type_name: str, props: Mapping[str, Any]) -> Place | None:
    """Pipelines sit under their object type (known from a pipeline's outputs, or a `Stage`'s
    inputs), stages in the pipeline they name by label (as the export lists them)."""
    name = props.get("name")
    if not isinstance(name, str):
        return None
    object_type = STAGE_KINDS.get(type_name, props.get("object_type"))
    if not isinstance(object_type, str):
        return None
    if type_name == "Pipeline":
        return Place(section_path(object_type), "", name)
    pipeline = props.get("pipeline")
    if type_name in (*STAGE_KINDS, "Stage") and isinstance(pipeline, str):
        return Place(f"{section_path(object_type)}.stages", pipeline, name)
    return None


class PipelineWords(Mapping[str, str]):
    """What each kind of container is called in drift's rows: "deal pipeline", "lead
    pipeline", "2-12345 pipeline" (a custom object's, whatever its type id)."""

    def __getitem__(self, kind: str) -> str:
        object_type = kind.removeprefix("custom_objects.")
        if object_type in ("deals", "tickets", *OTHER_TYPES) or (
            object_type != kind and CUSTOM_TYPE_ID.match(object_type)
        ):
            return pipeline_word(kind_of(object_type))
        raise KeyError(kind)

    def __iter__(self) -> Iterator[str]:
        return iter(("deals", "tickets", *OTHER_TYPES))

    def __len__(self) -> int:
        return 2 + len(OTHER_TYPES)


ADAPTER = Adapter(
    name="hubspot",
    settings=SETTINGS,
    dialect=DealStageProvider.dialect,
    section=HubSpotSection,
    export=export_section,
    example=example,
    locate=locate,
    containers=PipelineWords(),
)
