"""What one provider process learns across its resources (`core/run.py`), in either check order.

The engine checks resources in the order their registrations arrive, which varies between runs;
two resources of one stack that manage one object must be refused whichever comes first.
"""

from __future__ import annotations

import pytest

from pulumi_stages.core.run import ThisRun

IDENTITY = {"name": "Qualified"}


@pytest.mark.parametrize("existing_first", [True, False], ids=["existing-first", "new-first"])
def test_a_new_resource_and_one_in_state_with_one_identity_conflict_in_either_order(
    existing_first: bool,
) -> None:
    run = ThisRun()
    if existing_first:
        assert run.holds("pipeline/Qualified", "stage", IDENTITY) is None
        assert run.claim("other/Qualified", "stage", IDENTITY) == "pipeline/Qualified"
    else:
        assert run.claim("other/Qualified", "stage", IDENTITY) is None
        assert run.holds("pipeline/Qualified", "stage", IDENTITY) == "other/Qualified"


def test_other_identities_kinds_and_the_same_resource_do_not_conflict() -> None:
    run = ThisRun()
    assert run.holds("pipeline/Qualified", "stage", IDENTITY) is None
    assert run.holds("pipeline/Qualified", "stage", IDENTITY) is None
    assert run.claim("pipeline/Won", "stage", {"name": "Won"}) is None
    assert run.claim("boards/Qualified", "board", IDENTITY) is None


def test_a_replacement_is_told_from_a_new_resource_and_knows_what_it_replaces() -> None:
    run = ThisRun()
    assert not run.replacing("pipeline/Build")
    run.holds("pipeline/Build", "stage", {"name": "Build", "board_id": "1"})
    assert run.replacing("pipeline/Build")
    assert run.replaced("pipeline/Build") is None
    run.replaces("pipeline/Build", "17")
    assert run.replaced("pipeline/Build") == "17"
    assert not run.replacing("pipeline/Brief")
