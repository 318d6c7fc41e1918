"""Stage sets: ordered stages declared in `stages.yaml` or Python, applied with minimal writes."""

from .component import StageSet
from .source import StageSetError, load_file, load_text
from .spec import (
    CapsuleBoardSpec,
    CapsuleSection,
    CapsuleStageSpec,
    OutreachSection,
    OutreachStageSpec,
    StageSetSpec,
    json_schema_text,
    shipped_schema_text,
)

__all__ = [
    "CapsuleBoardSpec",
    "CapsuleSection",
    "CapsuleStageSpec",
    "OutreachSection",
    "OutreachStageSpec",
    "StageSet",
    "StageSetError",
    "StageSetSpec",
    "json_schema_text",
    "load_file",
    "load_text",
    "shipped_schema_text",
]
