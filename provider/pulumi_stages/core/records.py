"""Records move before a stage goes: counting what sits in a stage, and moving it page by page.

A CRM's records (Outreach prospects, Capsule projects, HubSpot deals and tickets) sit in stages,
open and closed alike. Deleting a stage that holds some either orphans them or is refused, so a
stage set says where they go (`moved_to`), and the provider moves them first. A count is trusted
only when it is confirmed: an API that can truncate its count, or answer zero under load, is
asked for a page of the records too, and a zero with records on that page is not a zero.

Moving is resumable by construction: each round reads the first page of records still in the
stage and moves them, until a page comes back empty, so an `up` interrupted halfway simply
continues with what is left. It also makes progress or stops: a record seen again after it was
moved did not leave (a workflow put it back), and the move stops naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .errors import MoveStalled
from .plurals import counting, singular

PAGE_SIZE = 100
"""Records read per page while moving them."""

SHOWN_IDS = 10
"""Record ids an error names before it says how many more there are."""


@dataclass(frozen=True)
class RecordCount:
    """How many records a stage holds; `exact` is False when the API may have said fewer.

    `by_status` splits the count where the CRM keeps records open and closed ("open": 2,
    "closed": 1), so a refusal can say which kind would lose its stage."""

    count: int
    exact: bool = True
    by_status: Mapping[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return str(self.count) if self.exact else f"at least {self.count}"

    def of(self, word: str) -> str:
        """The count as a sentence says it: "3 projects (1 closed, 2 open)", "1 project"."""
        noun = singular(word) if self.count == 1 else word
        parts = [f"{n} {status}" for status, n in sorted(self.by_status.items()) if n]
        return f"{self} {noun} ({', '.join(parts)})" if parts else f"{self} {noun}"

    @property
    def empty(self) -> bool:
        """Confirmed to hold nothing."""
        return self.count == 0 and self.exact


def counted(statuses: Sequence[str]) -> RecordCount:
    """A confirmed count of records from their statuses, one string per record."""
    by_status: dict[str, int] = {}
    for status in statuses:
        by_status[status] = by_status.get(status, 0) + 1
    return RecordCount(len(statuses), by_status=by_status)


@runtime_checkable
class HoldsRecords(Protocol):
    """What a stage backend offers when its CRM keeps records in stages."""

    records_word: str
    """What the records are called, plural: "prospects", "projects", "deals"."""

    delete_checks_records: bool
    """Whether the API itself refuses to delete a stage records use (HubSpot's validate flags):
    then that refusal is the last check before a delete, and no count is read for it."""

    def count_records(self, stage_id: str) -> RecordCount:
        """The records in a stage, open and closed, confirmed (never an unconfirmed zero)."""
        ...

    def record_page(self, stage_id: str, size: int) -> list[str]:
        """The ids of up to `size` records still in the stage (the first page)."""
        ...

    def move_record(self, record_id: str, to_stage_id: str) -> None:
        """Put one record in another stage."""
        ...


@runtime_checkable
class MovesInBatches(Protocol):
    """A backend whose API moves many records in one call (HubSpot's batch update)."""

    move_batch_size: int
    """The most records one call takes."""

    def move_records(self, record_ids: Sequence[str], to_stage_id: str) -> None:
        """Put these records (at most `move_batch_size`) in another stage, in one call."""
        ...


@runtime_checkable
class CountsManyStages(Protocol):
    """A backend whose API filters records by several stages at once (a list of stage ids)."""

    def count_many(self, stage_ids: Sequence[str]) -> dict[str, RecordCount]:
        """Confirmed counts for each of the stages, in about ceil(len/page) reads."""
        ...


def count_each(backend: HoldsRecords, stage_ids: Sequence[str]) -> dict[str, RecordCount]:
    """Confirmed counts for several stages: batched where the API can, else one read each."""
    if isinstance(backend, CountsManyStages) and len(stage_ids) > 1:
        return backend.count_many(stage_ids)
    return {stage_id: backend.count_records(stage_id) for stage_id in stage_ids}


@dataclass
class Moved:
    """What a move did: records moved, pages read (the last one empty) and move calls sent."""

    records: int = 0
    pages: int = 0
    calls: int = 0


def move_all(
    backend: HoldsRecords,
    from_id: str,
    to_id: str,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Moved:
    """Move every record of one stage to another, a page at a time, until none is left; stop
    with `MoveStalled` when a record moved already shows up in the stage again."""
    if from_id == to_id:
        raise ValueError(f"stage {from_id} cannot receive its own records")
    moved = Moved()
    seen: set[str] = set()
    while True:
        page = backend.record_page(from_id, page_size)
        moved.pages += 1
        if not page:
            return moved
        back = [record_id for record_id in page if record_id in seen]
        if back:
            raise MoveStalled(_stalled(backend, back, from_id, to_id, moved.records))
        moved.calls += _move_page(backend, page, to_id)
        seen.update(page)
        moved.records += len(page)
        if progress is not None:
            progress(moved.records)


def _move_page(backend: HoldsRecords, page: Sequence[str], to_id: str) -> int:
    """Move one page of records, in batches where the API takes them; the calls it sent."""
    if isinstance(backend, MovesInBatches) and backend.move_batch_size > 1:
        size = backend.move_batch_size
        batches = [page[start : start + size] for start in range(0, len(page), size)]
        for batch in batches:
            backend.move_records(batch, to_id)
        return len(batches)
    for record_id in page:
        backend.move_record(record_id, to_id)
    return len(page)


def _stalled(
    backend: HoldsRecords, back: Sequence[str], from_id: str, to_id: str, moved: int
) -> str:
    """The message for records that came back after their move."""
    shown = ", ".join(back[:SHOWN_IDS])
    more = f" and {len(back) - SHOWN_IDS} more" if len(back) > SHOWN_IDS else ""
    return (
        f"{RecordCount(len(back)).of(backend.records_word)} ({shown}{more}) did not leave stage "
        f"{from_id} after being moved to stage {to_id}: something puts them back (a workflow or "
        f"automation?). The move stopped after {counting(moved, 'move')} and stage {from_id} "
        "was not deleted; fix what moves them back, then run `pulumi up` again."
    )
