"""Capsule stages on the wire: the fields PUT may change, and a stage as the API sends it back
(read without pydantic: a refresh loads none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
        board = stage.get("board") or {}
        return cls(
            id=int(stage["id"]),
            name=stage.get("name", ""),
            description=stage.get("description"),
            board_id=int(board.get("id", 0)),
            board=board.get("name"),
            display_order=stage.get("displayOrder"),
            created_at=stage.get("createdAt"),
            updated_at=stage.get("updatedAt"),
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
