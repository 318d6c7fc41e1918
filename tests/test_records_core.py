"""Core's record rules without an engine or an API: moves make progress or stop, move in batches
where the API takes them, a retirement confirms the stage empty right before its delete, counts
for many stages are batched, and a delete the API refuses is never success."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_stages import DeleteRefused, MoveStalled, RecordsInStage
from pulumi_stages.core.backend import Remote
from pulumi_stages.core.errors import ValidationFailed
from pulumi_stages.core.records import (
    PAGE_SIZE,
    RecordCount,
    count_each,
    counted,
    move_all,
)
from pulumi_stages.core.retirement import (
    CONFIRM_ROUNDS,
    delete_or_refuse,
    guard_delete,
    guard_deletes,
    plan_line,
    retire,
)


@dataclass
class Crm:
    """Records by id -> stage id, and what was asked of it."""

    records: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    sticky: set[str] = field(default_factory=set)
    """Records a workflow puts back: their moves answer 200 and change nothing."""
    arrivals: list[list[str]] = field(default_factory=list)
    """Records that arrive in stage "old" after each empty page, one list per empty page."""
    refuse_delete: bool = False

    records_word = "prospects"
    delete_checks_records = False

    def in_stage(self, stage_id: str) -> list[str]:
        return sorted((r for r, s in self.records.items() if s == stage_id), key=int)

    def count_records(self, stage_id: str) -> RecordCount:
        self.calls.append(f"count {stage_id}")
        return RecordCount(len(self.in_stage(stage_id)))

    def record_page(self, stage_id: str, size: int) -> list[str]:
        self.calls.append(f"page {stage_id}")
        page = self.in_stage(stage_id)[:size]
        if not page and self.arrivals:
            for record in self.arrivals.pop(0):
                self.records[record] = stage_id
        return page

    def move_record(self, record_id: str, to_stage_id: str) -> None:
        self.calls.append(f"move {record_id}")
        if record_id not in self.sticky:
            self.records[record_id] = to_stage_id

    # Backend
    def create(self, inputs: Mapping[str, Any]) -> Remote:
        raise NotImplementedError

    def read(self, id_: str) -> Remote | None:
        raise NotImplementedError

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        raise NotImplementedError

    def delete(self, id_: str) -> None:
        self.calls.append(f"delete {id_}")
        if self.refuse_delete:
            raise ValidationFailed("TinyCRM", "DELETE", f"/stages/{id_}", 422, "stage in use")
        self.deleted.append(id_)

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        raise NotImplementedError

    def list_all(self) -> Iterator[Remote]:
        raise NotImplementedError


@dataclass
class BatchCrm(Crm):
    """A CRM that moves many records in one call."""

    move_batch_size: int = 100

    def move_records(self, record_ids: Sequence[str], to_stage_id: str) -> None:
        assert len(record_ids) <= self.move_batch_size
        self.calls.append(f"batch {len(record_ids)}")
        for record_id in record_ids:
            self.records[record_id] = to_stage_id


@dataclass
class ManyCrm(Crm):
    """A CRM that counts many stages in one read."""

    def count_many(self, stage_ids: Sequence[str]) -> dict[str, RecordCount]:
        self.calls.append(f"count_many {len(stage_ids)}")
        return {s: RecordCount(len(self.in_stage(s))) for s in stage_ids}


def crm_with(count: int, kind: type[Crm] = Crm, stage: str = "old") -> Crm:
    return kind(records={str(i): stage for i in range(1, count + 1)})


RETIRE = {"name": "Old", "retire": True, "moved_to": "New", "moved_to_id": "new"}


def test_a_move_whose_records_come_back_stops_naming_them_instead_of_looping() -> None:
    crm = crm_with(5)
    crm.sticky = {"2", "4"}
    with pytest.raises(MoveStalled) as stalled:
        move_all(crm, "old", "new")
    assert "2 prospects (2, 4) did not leave stage old" in str(stalled.value)
    assert "after 5 moves" in str(stalled.value)
    assert crm.calls.count("page old") == 2  # the first page, then the one that shows them
    assert len([c for c in crm.calls if c.startswith("move")]) == 5
    assert crm.deleted == []


def test_a_stalled_retirement_deletes_nothing() -> None:
    crm = crm_with(3)
    crm.sticky = {"1"}
    with pytest.raises(RecordsInStage):
        retire(crm, "TinyCRM", "old", RETIRE)
    assert crm.deleted == [] and crm.records["1"] == "old"


def test_a_large_stalled_move_names_ten_ids_and_how_many_more() -> None:
    crm = crm_with(30)
    crm.sticky = set(crm.records)
    with pytest.raises(MoveStalled) as stalled:
        move_all(crm, "old", "new")
    assert "30 prospects (1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 20 more)" in str(stalled.value)


def test_moves_go_in_batches_where_the_api_takes_them() -> None:
    crm = crm_with(250, BatchCrm)
    moved = move_all(crm, "old", "new")
    assert (moved.records, moved.calls, moved.pages) == (250, 3, 4)
    assert [c for c in crm.calls if c.startswith("batch")] == ["batch 100"] * 2 + ["batch 50"]
    assert crm.in_stage("new") == sorted(crm.records, key=int)


def test_without_a_batch_endpoint_each_record_is_one_call() -> None:
    crm = crm_with(150)
    moved = move_all(crm, "old", "new")
    assert (moved.records, moved.calls) == (150, 150)


def test_records_that_arrive_after_the_move_are_moved_before_the_delete() -> None:
    crm = crm_with(3)
    crm.arrivals = [["7"]]  # a prospect added right after the move's last (empty) page
    outs = retire(crm, "TinyCRM", "old", RETIRE)
    assert outs["moved_records"] == 4
    assert crm.records["7"] == "new" and crm.deleted == ["old"]
    assert crm.calls[-2:] == ["count old", "delete old"]  # a fresh count right before it


def test_records_that_keep_arriving_stop_the_retirement_naming_them() -> None:
    crm = crm_with(1)
    crm.arrivals = [[str(100 + i)] for i in range(CONFIRM_ROUNDS)]
    with pytest.raises(RecordsInStage) as refused:
        retire(crm, "TinyCRM", "old", RETIRE)
    assert "still holds 1 prospect after 3 were moved to 'New'" in str(refused.value)
    assert crm.deleted == []


def test_where_the_api_checks_records_on_delete_no_count_is_read() -> None:
    crm = crm_with(2)
    crm.delete_checks_records = True
    retire(crm, "TinyCRM", "old", RETIRE)
    guard_delete(crm, "TinyCRM", "Other", "other")
    assert not [c for c in crm.calls if c.startswith("count")]
    assert crm.deleted == ["old"]


def test_the_delete_guard_counts_records_of_every_status() -> None:
    crm = crm_with(0)
    crm.count_records = lambda _id: counted(["closed"])  # type: ignore[method-assign]
    with pytest.raises(RecordsInStage) as refused:
        guard_delete(crm, "Capsule", "Old", "old")
    assert "holds 1 prospect (1 closed); nothing was deleted" in str(refused.value)
    # an up is steered by `retired:`, a destroy reads no declaration: each gets its own way out
    assert str(refused.value).endswith(
        "In a `pulumi up`, say where they go: list it under `retired:` with `moved_to: <a stage "
        "of the set>`, or with `keep: true` to leave it in Capsule unmanaged. A `pulumi destroy` "
        "reads no declaration: move the records in Capsule first, or `pulumi state delete "
        "--target-dependents` the stage (and the set's order with it) to leave it there."
    )


def test_a_refused_delete_is_never_success() -> None:
    crm = crm_with(0)
    crm.refuse_delete = True
    with pytest.raises(DeleteRefused) as refused:
        delete_or_refuse(crm, "TinyCRM", "Old", "old")
    assert str(refused.value).startswith(
        "TinyCRM refused to delete stage 'Old' (id old): stage in use (422). The stage is kept"
    )
    assert refused.value.refusal.status == 422


def test_counts_for_many_stages_are_batched_where_the_api_can() -> None:
    crm = ManyCrm(records={"1": "s3"})
    ids = [f"s{i}" for i in range(PAGE_SIZE)]
    counts = count_each(crm, ids)
    assert crm.calls == [f"count_many {PAGE_SIZE}"]
    assert counts["s3"].count == 1 and counts["s4"].empty
    single = Crm(records={"1": "s3"})
    count_each(single, ids)
    assert len(single.calls) == PAGE_SIZE  # one read each without a batched count


def test_a_preview_of_many_removals_names_every_stage_that_holds_records() -> None:
    crm = ManyCrm(records={"1": "b", "2": "b", "3": "d"})
    with pytest.raises(RecordsInStage) as refused:
        guard_deletes(crm, "TinyCRM", {"A": "a", "B": "b", "C": "c", "D": "d"})
    text = str(refused.value)
    assert text.startswith(
        "2 TinyCRM stages hold records: 'B' (id b) holds 2 prospects; 'D' (id d) holds 1 "
        "prospect; nothing was deleted. In a `pulumi up`, say where they go: list each under"
    )
    assert text.endswith("the stages (and the set's order with them) to leave them there.")
    assert "'A'" not in text and crm.calls == ["count_many 4"]


def test_a_count_by_status_reads_as_a_user_would_say_it() -> None:
    assert counted(["open", "closed", "open"]).of("projects") == "3 projects (1 closed, 2 open)"
    assert RecordCount(2).of("deals") == "2 deals"
    assert RecordCount(1).of("deals") == "1 deal"
    assert RecordCount(1, exact=False).of("2-12345 records") == "at least 1 2-12345 record"
    assert RecordCount(1).of("companies") == "1 company"
    assert str(RecordCount(4, exact=False)) == "at least 4"
    assert str(RecordCount(0)) == "0"


def test_a_plan_line_counts_one_record_as_one() -> None:
    assert plan_line(crm_with(1), "TinyCRM", "old", RETIRE).startswith(
        "1 prospect moves to 'New' (stage new), then stage old is deleted"
    )
    assert plan_line(crm_with(2), "TinyCRM", "old", RETIRE).startswith("2 prospects move to")
