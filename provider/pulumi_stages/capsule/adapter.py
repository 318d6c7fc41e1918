"""Capsule CRM as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.registry import Adapter, Place
from .api import SETTINGS
from .export import export_section
from .section import CapsuleSection
from .stage import CapsuleStageProvider


def example(stages: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """A section declaring these stages in order."""
    return {"boards": [{"name": "Projects", "stages": [dict(stage) for stage in stages]}]}


def locate(type_name: str, props: Mapping[str, Any]) -> Place | None:
    """Boards sit in the account, stages on the board they name (as the export lists them)."""
    name = props.get("name")
    if not isinstance(name, str):
        return None
    if type_name == "Board":
        return Place("boards", "", name)
    board = props.get("board")
    return Place("boards.stages", board, name) if isinstance(board, str) else None


ADAPTER = Adapter(
    name="capsule",
    settings=SETTINGS,
    dialect=CapsuleStageProvider.dialect,
    section=CapsuleSection,
    export=export_section,
    example=example,
    locate=locate,
    containers={"boards": "board"},
)
