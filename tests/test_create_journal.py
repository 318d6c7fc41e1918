"""The create journal claims only what this stack made: by id, or inside the window of a create
that was never answered; never a stage someone made later, and each intent is claimed once."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from pulumi_stages.core import journal as journal_module
from pulumi_stages.core.backend import Remote
from pulumi_stages.core.journal import CreateJournal, create_window, open_intents
from pulumi_stages.core.memory import FileStore

LEAD = {"name": "Lead"}


def stage(id_: str, created: str | float) -> Remote:
    if isinstance(created, float):
        created = datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z")
    return Remote(id_, {"name": "Lead", "created_at": created})


def journal(tmp_path: Path, stack: str = "org/crm/prod", account: str = "") -> CreateJournal:
    store = FileStore(tmp_path / "memory")
    return CreateJournal("Outreach", "https://api.example.test/api/v2", stack, store, account)


def test_an_answered_create_is_ours_by_id_only(tmp_path: Path) -> None:
    made = journal(tmp_path)
    intent = made.begin("stage", LEAD)
    made.created("stage", LEAD, intent, "1")
    mine, theirs = stage("1", "2020-01-01T00:00:00Z"), stage("2", time.time())
    assert made.ours("stage", LEAD, [mine, theirs]) == [mine]


def test_a_stage_made_by_hand_after_ours_was_deleted_is_not_ours(tmp_path: Path) -> None:
    made = journal(tmp_path)
    intent = made.begin("stage", LEAD)
    made.created("stage", LEAD, intent, "1")
    made.deleted("stage", "1")
    by_hand = stage("2", time.time())
    assert made.ours("stage", LEAD, [by_hand]) == []


def test_a_create_that_died_unanswered_explains_an_object_made_in_its_window(
    tmp_path: Path,
) -> None:
    made = journal(tmp_path)
    made.begin("stage", LEAD)  # the run died during the POST
    during, older = stage("3", time.time() + 1), stage("4", "2020-01-01T00:00:00Z")
    assert made.ours("stage", LEAD, [during, older]) == [during]


def test_an_unanswered_intent_never_explains_a_name_a_person_makes_after_its_window(
    tmp_path: Path,
) -> None:
    made = journal(tmp_path)
    made.begin("stage", LEAD)  # the run died during the POST, having made nothing
    later = time.time() + create_window() + 60  # a person makes "Lead" by hand afterwards
    assert made.ours("stage", LEAD, [stage("5", later)]) == []
    assert made.claim("stage", LEAD, stage("5", later)) is False


def test_a_dead_create_made_again_by_the_next_run_is_superseded_and_explains_nothing(
    tmp_path: Path,
) -> None:
    """A run died before its POST reached the API; the next run created the stage anew. The
    dead intent is closed by that answer, so a "Lead" a person makes inside its window (12.5
    minutes) is not taken for ours; an intent begun after the answer stays open."""
    made = journal(tmp_path)
    made.begin("stage", LEAD)  # the POST never left the killed runner
    time.sleep(0.01)
    made.created("stage", LEAD, made.begin("stage", LEAD), "1")  # the recovery's own create
    mine, by_hand = stage("1", time.time()), stage("2", time.time() + 1)
    assert made.ours("stage", LEAD, [mine, by_hand]) == [mine]
    assert made.claim("stage", LEAD, by_hand) is False
    entries = [json.loads(line) for line in made._store.lines(made.log)]  # type: ignore[attr-defined]
    assert open_intents(entries) == []
    time.sleep(0.01)
    made.begin("stage", LEAD)  # a later run dies during its POST in turn
    made.begin("stage", {"name": "Won"})
    entries = [json.loads(line) for line in made._store.lines(made.log)]  # type: ignore[attr-defined]
    assert [e["identity"] for e in open_intents(entries)] == [LEAD, {"name": "Won"}]
    assert made.ours("stage", LEAD, [by_hand]) == [by_hand]


def test_the_window_is_the_creates_own_minutes_and_is_written_with_the_intent(
    tmp_path: Path,
) -> None:
    made = journal(tmp_path, account="site-1")
    made.begin("stage", LEAD)
    [line] = made._store.lines(made.log)  # type: ignore[attr-defined]
    entry = json.loads(line)
    print(f"\njournal entry: {line}")
    assert sorted(entry) == ["account", "at", "identity", "intent", "kind", "window"]
    assert entry["window"] == create_window() == 750.0  # 5 attempts x (120 s wait + 30 s)
    assert entry["account"] == "site-1"


def test_entries_are_keyed_by_stack_and_account_not_by_token(tmp_path: Path) -> None:
    made = journal(tmp_path, account="site-1")
    made.begin("stage", LEAD)
    during = stage("3", time.time() + 1)
    assert journal(tmp_path, stack="org/crm/staging").ours("stage", LEAD, [during]) == []
    assert journal(tmp_path, account="site-2").ours("stage", LEAD, [during]) == []
    assert journal(tmp_path, account="site-1").ours("stage", LEAD, [during]) == [during]
    assert "token" not in made.log


def test_a_claimed_intent_is_closed_and_explains_nothing_else(tmp_path: Path) -> None:
    made = journal(tmp_path)
    made.begin("stage", LEAD)
    recovered, another = stage("3", time.time() + 1), stage("4", time.time() + 2)
    assert made.claim("stage", LEAD, recovered) is True
    assert made.ours("stage", LEAD, [recovered, another]) == [recovered]
    assert made.claim("stage", LEAD, another) is False


def test_two_runs_claiming_one_intent_at_once_get_it_once(tmp_path: Path) -> None:
    journal(tmp_path).begin("stage", LEAD)
    now = time.time()
    results: list[bool] = []
    gate = threading.Barrier(8)

    def claim(i: int) -> None:
        gate.wait()
        results.append(journal(tmp_path).claim("stage", LEAD, stage(f"{10 + i}", now + 1)))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_each_line_is_parsed_once_and_a_later_read_still_sees_what_was_added(
    tmp_path: Path,
) -> None:
    """A recovery check reads the whole log each time; a line already read is not parsed again
    (1,000 lines took 7.6 ms per check), and what was appended since still counts."""
    made = journal(tmp_path)
    for i in range(50):
        name = {"name": f"Stage {i}"}
        made.created("stage", name, made.begin("stage", name), str(100 + i))
    journal_module._parsed.cache_clear()
    mine = Remote("101", {"name": "Stage 1", "created_at": "2020-01-01T00:00:00Z"})
    assert made.ours("stage", {"name": "Stage 1"}, [mine]) == [mine]
    assert journal_module._parsed.cache_info().misses == 100

    made.deleted("stage", "101")
    assert made.ours("stage", {"name": "Stage 1"}, [mine]) == []  # the new line counts
    assert journal_module._parsed.cache_info().misses == 101
