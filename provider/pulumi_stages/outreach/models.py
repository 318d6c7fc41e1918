"""What a user declares of an Outreach stage (the API's answers are read in `wire`)."""

from __future__ import annotations

from ..core.models import AdoptableInputs, HexColor, Name, Position


class StageInputs(AdoptableInputs):
    """A declared Outreach stage; every field but `name` may be left to the API (None)."""

    name: Name
    """The stage's name, as Outreach shows it (1 to 255 characters)."""
    color: HexColor = None
    """The stage's colour as #rrggbb; unset leaves it to Outreach."""
    order: Position = None
    """The stage's display position (0 or more); unset leaves it to Outreach."""
