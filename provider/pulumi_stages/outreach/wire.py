"""An Outreach stage as the API sends it back, read without pydantic (a refresh loads none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.contract import Answer


@dataclass(frozen=True)
class StageRecord:
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
        attributes = Answer("Outreach", "stage", resource.get("attributes") or {})
        return cls(
            id=Answer("Outreach", "stage", resource).whole("id"),
            name=attributes.text("name"),
            color=attributes.optional_text("color"),
            order=attributes.optional_whole("order"),
            created_at=attributes.optional_text("createdAt"),
            updated_at=attributes.optional_text("updatedAt"),
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
