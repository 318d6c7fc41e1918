"""What a user declares of a Capsule stage or board (the wire shapes are in `wire`)."""

from __future__ import annotations

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
