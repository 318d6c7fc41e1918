"""An Outreach stage as the API sends it back, read without pydantic (a refresh loads none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
        attributes = resource.get("attributes") or {}
        return cls(
            id=int(resource["id"]),
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
