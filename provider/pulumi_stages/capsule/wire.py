"""Capsule stages on the wire: the fields PUT may change, and a stage as the API sends it back
(read without pydantic: a refresh loads none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.contract import Answer

WIRE = {"name": "name", "description": "description", "display_order": "displayOrder"}
"""Stage input -> Capsule JSON field, for the fields PUT may change."""


@dataclass(frozen=True)
class StageRecord:
    """A Capsule stage as the API returns it."""

    id: int
    name: str
    board_id: int
    description: str | None = None
    board: str | None = None
    display_order: int | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_json(cls, stage: dict[str, Any]) -> StageRecord:
        """Parse `{"id", "name", "board": {"id", "name"}, "displayOrder", ...}`."""
        fields = Answer("Capsule", "stage", stage)
        board = Answer("Capsule", "stage's board", stage.get("board") or {})
        return cls(
            id=fields.whole("id"),
            name=fields.text("name"),
            description=fields.optional_text("description"),
            board_id=board.optional_whole("id") or 0,
            board=board.optional_text("name"),
            display_order=fields.optional_whole("displayOrder"),
            created_at=fields.optional_text("createdAt"),
            updated_at=fields.optional_text("updatedAt"),
        )

    def outputs(self) -> dict[str, Any]:
        """The stage as Pulumi state."""
        return {
            "name": self.name,
            "board": self.board,
            "description": self.description,
            "display_order": self.display_order,
            "stage_id": self.id,
            "board_id": str(self.board_id),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
