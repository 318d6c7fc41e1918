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
from .errors import ApiError, DeleteRefused, RecordsInStage
from .plurals import moves, were
from .records import HoldsRecords, RecordCount, count_each, move_all
from .unknowns import is_unknown

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
    records = held[1].of(held[0]) if held else "no records"
    verb = moves(held[1].count if held else 0)
    target_id = inputs.get("moved_to_id")
    made = "created in this up" if is_unknown(target_id) else f"stage {target_id}"
    target = f"{inputs.get('moved_to')!r} ({made})"
    return f"{records} {verb} to {target}, then stage {stage_id} is deleted"


_WHAT_TO_DO = (
    "In a `pulumi up`, say where they go: list {listed} under `retired:` with `moved_to: <a "
    "stage of the set>`, or with `keep: true` to leave {left} in {api} unmanaged. A `pulumi "
    "destroy` reads no declaration: move the records in {api} first, or `pulumi state delete "
    "--target-dependents` {the} (and the set's order with {left}) to leave {left} there."
)
"""The refusal's way out, for an up (the declaration steers it) and for a destroy (it cannot)."""


def holding_records(api: str, name: str, stage_id: str, word: str, count: RecordCount) -> str:
    """The refusal for a stage that would be deleted while it holds records."""
    return (
        f"{api} stage {name!r} (id {stage_id}) holds {count.of(word)}; nothing was deleted. "
        + _WHAT_TO_DO.format(listed="it", left="it", the="the stage", api=api)
    )


def guard_delete(backend: Backend, api: str, name: str, stage_id: str) -> None:
    """Refuse to delete a stage that holds records, open or closed (or whose count is not
    confirmed), from a fresh count; where the API refuses such a delete itself, that refusal is
    the check and nothing is read."""
    if isinstance(backend, HoldsRecords) and backend.delete_checks_records:
        return
    held = records_of(backend, stage_id)
    if held is None or held[1].empty:
        return
    raise RecordsInStage(holding_records(api, name, stage_id, held[0], held[1]))


def guard_deletes(backend: Backend, api: str, stages: Mapping[str, str]) -> None:
    """`guard_delete` for several stages (name -> id) at once: their counts are read in batches
    where the API filters by several stages, so a preview of N removals costs about N/page
    reads; refuses naming every stage that holds records."""
    if not isinstance(backend, HoldsRecords) or not stages:
        return
    counts = count_each(backend, sorted(stages.values(), key=_id_order))
    held = [(name, id_) for name, id_ in sorted(stages.items()) if not counts[id_].empty]
    if len(held) == 1:
        name, id_ = held[0]
        raise RecordsInStage(holding_records(api, name, id_, backend.records_word, counts[id_]))
    if held:
        each = "; ".join(
            f"{name!r} (id {id_}) holds {counts[id_].of(backend.records_word)}"
            for name, id_ in held
        )
        raise RecordsInStage(
            f"{len(held)} {api} stages hold records: {each}; nothing was deleted. "
            + _WHAT_TO_DO.format(listed="each", left="them", the="the stages", api=api)
        )


def _id_order(id_: str) -> tuple[int, str]:
    return (len(id_), id_)


def retire(backend: Backend, api: str, stage_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Move the records, then delete the stage (or keep it); the tombstone's outputs.

    Immediately before the delete a fresh count confirms the stage is empty; records that
    arrived meanwhile are moved too, for at most `CONFIRM_ROUNDS` rounds, then the retirement
    stops naming them. Where the API checks records on delete, its refusal is that last check."""
    if inputs.get("keep"):
        return {RETIRED_KEY: "kept"}
    moved = 0
    if isinstance(backend, HoldsRecords):
        moved = _move_until_empty(backend, api, stage_id, inputs)
    delete_or_refuse(backend, api, str(inputs.get("name")), stage_id)
    return {RETIRED_KEY: "moved", "moved_records": moved, "moved_to": inputs.get("moved_to")}


CONFIRM_ROUNDS = 3
"""Moves a retirement makes while records keep arriving in the stage before it stops."""


def _move_until_empty(
    backend: HoldsRecords, api: str, stage_id: str, inputs: Mapping[str, Any]
) -> int:
    """Move records until a fresh count finds the stage empty; the records moved."""
    moved = 0
    left = RecordCount(0, exact=False)
    for _ in range(CONFIRM_ROUNDS):
        moved += move_all(backend, stage_id, str(inputs["moved_to_id"])).records
        if backend.delete_checks_records:
            return moved
        left = backend.count_records(stage_id)
        if left.empty:
            return moved
    raise RecordsInStage(
        f"{api} stage {inputs.get('name')!r} (id {stage_id}) still holds "
        f"{left.of(backend.records_word)} after {moved} {were(moved)} moved to "
        f"{inputs.get('moved_to')!r}: records keep arriving. Nothing was deleted; stop what "
        "adds them, then run `pulumi up` again."
    )


def delete_or_refuse(
    backend: Backend, api: str, name: str, stage_id: str, noun: str = "stage"
) -> None:
    """Delete the object; a refusal from the API (a 4xx other than "already gone") is never
    success: it raises `DeleteRefused` with the API's reason, so the stage stays in state."""
    try:
        backend.delete(stage_id)
    except ApiError as refused:
        if refused.status >= 500 or refused.status in (401, 403, 429):
            raise
        raise DeleteRefused(
            f"{api} refused to delete {noun} {name!r} (id {stage_id}): {refused.message} "
            f"({refused.status}). The {noun} is kept, in {api} and in the stack's state. If "
            "records still use it, move them first (a stage: list it under `retired:` with "
            "`moved_to: <a stage of the set>`); otherwise fix what the message names, then run "
            "the command again.",
            refused,
        ) from None
