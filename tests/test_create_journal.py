"""The create journal claims only what this stack made: by id, or during a create that was never
answered; never a stage someone made after this stack deleted its own."""

from __future__ import annotations

from pathlib import Path

from pulumi_stages.core.backend import Remote
from pulumi_stages.core.journal import CreateJournal


def stage(id_: str, created: str) -> Remote:
    return Remote(id_, {"name": "Lead", "created_at": created})


def journal(tmp_path: Path, stack: str = "org/crm/prod", token: str = "t") -> CreateJournal:
    return CreateJournal("Outreach", "https://api.example.test/api/v2", token, stack, tmp_path)


def test_an_answered_create_is_ours_by_id_only(tmp_path: Path) -> None:
    made = journal(tmp_path)
    intent = made.begin("stage", {"name": "Lead"})
    made.created("stage", {"name": "Lead"}, intent, "1")
    mine, theirs = stage("1", "2020-01-01T00:00:00Z"), stage("2", "2099-01-01T00:00:00Z")
    assert made.ours("stage", {"name": "Lead"}, [mine, theirs]) == [mine]


def test_a_stage_made_by_hand_after_ours_was_deleted_is_not_ours(tmp_path: Path) -> None:
    made = journal(tmp_path)
    intent = made.begin("stage", {"name": "Lead"})
    made.created("stage", {"name": "Lead"}, intent, "1")
    made.deleted("stage", "1")
    by_hand = stage("2", "2099-01-01T00:00:00Z")
    assert made.ours("stage", {"name": "Lead"}, [by_hand]) == []


def test_a_create_that_died_unanswered_explains_an_object_made_after_it(tmp_path: Path) -> None:
    made = journal(tmp_path)
    made.begin("stage", {"name": "Lead"})  # the run died during the POST
    later, older = stage("3", "2099-01-01T00:00:00Z"), stage("4", "2020-01-01T00:00:00Z")
    assert made.ours("stage", {"name": "Lead"}, [later, older]) == [later]


def test_another_stack_or_account_has_a_journal_of_its_own(tmp_path: Path) -> None:
    made = journal(tmp_path)
    made.begin("stage", {"name": "Lead"})
    later = stage("3", "2099-01-01T00:00:00Z")
    assert journal(tmp_path, stack="org/crm/staging").ours("stage", {"name": "Lead"}, [later]) == []
    assert journal(tmp_path, token="other").ours("stage", {"name": "Lead"}, [later]) == []
