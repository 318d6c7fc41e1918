"""`pulumi-stages export capsule`: active boards and their stages as the `capsule:` section."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.http import ApiClient
from .api import pages
from .wire import StageRecord


def export_section(client: ApiClient, progress: Callable[[int], None]) -> dict[str, Any]:
    """Active boards by name, each with its stages in display order, set to adopt."""
    boards = list(pages(client, "/boards", "boards", {"perPage": 100, "status": "active"}))
    records: list[StageRecord] = []
    for stage in pages(client, "/stages", "stages", {"perPage": 100}):
        records.append(StageRecord.from_json(stage))
        progress(len(records))
    records.sort(key=lambda r: (r.display_order is None, r.display_order or 0, r.id))
    section: list[dict[str, Any]] = []
    for board in sorted(boards, key=lambda b: int(b["id"])):
        entry: dict[str, Any] = {"name": board["name"]}
        if board.get("description"):
            entry["description"] = board["description"]
        entry["stages"] = [
            {"name": r.name, **({"description": r.description} if r.description else {})}
            for r in records
            if r.board_id == int(board["id"])
        ]
        section.append(entry)
    return {"adopt": True, "boards": section}
