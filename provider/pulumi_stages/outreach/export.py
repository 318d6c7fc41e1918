"""`pulumi-stages export outreach`: the account's stages as the `outreach:` section of a set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.http import ApiClient
from .api import OutreachStages


def export_section(client: ApiClient, progress: Callable[[int], None]) -> dict[str, Any]:
    """Every stage in display order (those without an order last, by id), set to adopt."""
    records = []
    for record in OutreachStages(client).list():
        records.append(record)
        progress(len(records))
    records.sort(key=lambda r: (r.order is None, r.order or 0, r.id))
    stages: list[dict[str, Any]] = []
    for record in records:
        stage: dict[str, Any] = {"name": record.name}
        if record.color:
            stage["color"] = record.color.lower()
        stages.append(stage)
    return {"adopt": True, "stages": stages}
