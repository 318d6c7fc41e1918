"""Records move before a stage goes: counting what sits in a stage, and moving it page by page.

A CRM's records (Outreach prospects, Capsule open projects) sit in stages. Deleting a stage that
holds some either orphans them or is refused, so a stage set says where they go (`moved_to`),
and the provider moves them first. A count is trusted only when it is confirmed: an API that
can truncate its count, or answer zero under load, is asked for a page of the records too, and a
zero with records on that page is not a zero.

Moving is resumable by construction: each round reads the first page of records still in the
stage and moves them, until a page comes back empty, so an `up` interrupted halfway simply
continues with what is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

PAGE_SIZE = 100
"""Records read per page while moving them."""


@dataclass(frozen=True)
class RecordCount:
    """How many records a stage holds; `exact` is False when the API may have said fewer."""

    count: int
    exact: bool = True

    def __str__(self) -> str:
        return str(self.count) if self.exact else f"at least {self.count}"

    @property
    def empty(self) -> bool:
        """Confirmed to hold nothing."""
        return self.count == 0 and self.exact


@runtime_checkable
class HoldsRecords(Protocol):
    """What a stage backend offers when its CRM keeps records in stages."""

    records_word: str
    """What the records are called, plural: "prospects", "open projects"."""

    def count_records(self, stage_id: str) -> RecordCount:
        """The records in a stage, confirmed (never an unconfirmed zero)."""
        ...

    def record_page(self, stage_id: str, size: int) -> list[str]:
        """The ids of up to `size` records still in the stage (the first page)."""
        ...

    def move_record(self, record_id: str, to_stage_id: str) -> None:
        """Put one record in another stage."""
        ...


@dataclass
class Moved:
    """What a move did: records moved, and pages read (the last one empty)."""

    records: int = 0
    pages: int = 0


def move_all(
    backend: HoldsRecords,
    from_id: str,
    to_id: str,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Moved:
    """Move every record of one stage to another, a page at a time, until none is left."""
    if from_id == to_id:
        raise ValueError(f"stage {from_id} cannot receive its own records")
    moved = Moved()
    while True:
        page = backend.record_page(from_id, page_size)
        moved.pages += 1
        if not page:
            return moved
        for record_id in page:
            backend.move_record(record_id, to_id)
            moved.records += 1
        if progress is not None:
            progress(moved.records)
