"""Outreach stage shapes: what a user declares, and what the API sends back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..core.models import AdoptableInputs, HexColor, Name, Position


class StageInputs(AdoptableInputs):
    """A declared Outreach stage; every field but `name` may be left to the API (None)."""

    name: Name
    """The stage's name, as Outreach shows it (1 to 255 characters)."""
    color: HexColor = None
    """The stage's colour as #rrggbb; unset leaves it to Outreach."""
    order: Position = None
    """The stage's display position (0 or more); unset leaves it to Outreach."""


class StageRecord(BaseModel):
    """An Outreach stage as the API returns it (a JSON:API resource object)."""

    id: int
    name: str
    color: str | None = None
    order: int | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_resource(cls, resource: dict[str, Any]) -> StageRecord:
        """Parse `{"type": "stage", "id": 1, "attributes": {...}}`."""
        attributes = resource.get("attributes") or {}
        return cls(
            id=resource["id"],
            name=attributes.get("name", ""),
            color=attributes.get("color"),
            order=attributes.get("order"),
            created_at=attributes.get("createdAt"),
            updated_at=attributes.get("updatedAt"),
        )

    def outputs(self) -> dict[str, Any]:
        """The stage as Pulumi state: inputs plus read-only outputs."""
        return {
            "name": self.name,
            "color": self.color.lower() if self.color else self.color,
            "order": self.order,
            "stage_id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
