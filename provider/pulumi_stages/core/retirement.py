"""Retiring a stage: its records move first, or it is kept in the CRM and no longer managed.

A stage set says what happens to a stage it no longer wants (`retired:` entries): `moved_to` a
stage of the set (its records move there, then it is deleted) or `keep` (it stays, unmanaged).
The resource then stays in state as a tombstone (`retired` in its outputs) until the entry is
removed. A stage deleted any other way is refused while it holds records, naming how many.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .backend import Backend
from .checking import is_unknown
from .errors import RecordsInStage
from .records import HoldsRecords, RecordCount, move_all

RETIRED_KEY = "retired"
"""An output: "moved" (records moved, stage deleted) or "kept" (left in the CRM)."""


def retiring(inputs: Mapping[str, Any]) -> bool:
    """Whether the declaration retires this stage."""
    return bool(inputs.get("retire") or inputs.get("keep"))


def is_tombstone(outputs: Mapping[str, Any]) -> bool:
    """Whether the state holds a retired stage (nothing of it is managed in the CRM)."""
    return outputs.get(RETIRED_KEY) in ("moved", "kept")


def records_of(backend: Backend, stage_id: str) -> tuple[str, RecordCount] | None:
    """What a stage holds, as the CRM's word and a confirmed count; None when the CRM keeps no
    records in stages."""
    if not isinstance(backend, HoldsRecords):
        return None
    return backend.records_word, backend.count_records(stage_id)


def plan_line(backend: Backend, api: str, stage_id: str, inputs: Mapping[str, Any]) -> str:
    """The preview's `retires` line: what will happen to the stage and its records."""
    if inputs.get("keep"):
        return f"stage {stage_id} stays in {api}, no longer managed"
    held = records_of(backend, stage_id)
    records = f"{held[1]} {held[0]}" if held else "no records"
    target_id = inputs.get("moved_to_id")
    made = "created in this up" if is_unknown(target_id) else f"stage {target_id}"
    target = f"{inputs.get('moved_to')!r} ({made})"
    return f"{records} move to {target}, then stage {stage_id} is deleted"


def guard_delete(backend: Backend, api: str, name: str, stage_id: str) -> None:
    """Refuse to delete a stage that holds records (or whose count is not confirmed)."""
    held = records_of(backend, stage_id)
    if held is None or held[1].empty:
        return
    word, count = held
    raise RecordsInStage(
        f"{api} stage {name!r} (id {stage_id}) holds {count} {word}; nothing was deleted. Say "
        f"where they go: list it under `retired:` with `moved_to: <a stage of the set>`, or "
        f"with `keep: true` to leave it in {api} unmanaged."
    )


def retire(backend: Backend, stage_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Move the records, then delete the stage (or keep it); the tombstone's outputs."""
    if inputs.get("keep"):
        return {RETIRED_KEY: "kept"}
    moved = 0
    if isinstance(backend, HoldsRecords):
        moved = move_all(backend, stage_id, str(inputs["moved_to_id"])).records
    backend.delete(stage_id)
    return {RETIRED_KEY: "moved", "moved_records": moved, "moved_to": inputs.get("moved_to")}
