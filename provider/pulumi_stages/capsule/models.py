"""Capsule stage and board shapes: what a user declares, and what the API sends back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..core.models import AdoptableInputs, Name, ObjectId, OptionalText, Position


class StageInputs(AdoptableInputs):
    """A declared Capsule stage; `board` is the board's name, resolved in each account, or
    `board_id` its id (a stage set passes its Board's id, so a board replaced is followed)."""

    name: Name
    """The stage's name, unique on its board."""
    board: Name
    """The name of the board the stage is on (resolved in each account)."""
    board_id: ObjectId = None
    """The board's id, when a Board resource gives it (a stage cannot move boards: a replace)."""
    description: OptionalText = None
    """The stage's description; unset leaves it to Capsule."""
    display_order: Position = None
    """The stage's position on its board (0 or more); unset leaves it to Capsule."""


class BoardInputs(AdoptableInputs):
    """A declared Capsule board."""

    name: Name
    """The board's name, unique in the account."""
    description: OptionalText = None
    """The board's description; unset leaves it to Capsule."""


WIRE = {"name": "name", "description": "description", "display_order": "displayOrder"}
"""Stage input -> Capsule JSON field, for the fields PUT may change."""


class StageRecord(BaseModel):
    """A Capsule stage as the API returns it."""

    id: int
    name: str
    description: str | None = None
    board_id: int
    board: str | None = None
    display_order: int | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_json(cls, stage: dict[str, Any]) -> StageRecord:
        """Parse `{"id", "name", "board": {"id", "name"}, "displayOrder", ...}`."""
        board = stage.get("board") or {}
        return cls(
            id=stage["id"],
            name=stage.get("name", ""),
            description=stage.get("description"),
            board_id=board.get("id", 0),
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
