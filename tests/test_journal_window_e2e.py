"""Through the engine: an intent that never got an answer explains only an object made inside
its create's own window. A stage a person makes by hand after that window, with the name of a
create that died, is refused like any name this stack does not manage (no silent takeover)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pulumi_stages.core import journal as journal_module
from pulumi_stages.core.journal import CreateJournal, create_window
from pulumi_stages.core.memory import FileStore
from tests.engine import StackHarness, stages

pytestmark = pytest.mark.e2e

OWNER = "organization/stages-test/test"
"""The `managed_by` of the harness's stack (organization/project/stack)."""


def unanswered_intent(stack: StackHarness, tmp_path: Path, name: str, age: float) -> str:
    """Write, as a killed `up` would have, an intent to create `name` that got no answer,
    `age` seconds ago, into the stack's journal (the harness keeps the memory in tmp_path)."""
    journal = CreateJournal("Outreach", stack.emulator.base_url, OWNER, FileStore(tmp_path))
    real_time = time.time
    journal_module.time.time = lambda: real_time() - age  # type: ignore[attr-defined]
    try:
        journal.begin("stage", {"name": name})
    finally:
        journal_module.time.time = real_time  # type: ignore[attr-defined]
    [line] = FileStore(tmp_path).lines(journal.log)
    return line


def test_a_name_made_by_hand_after_an_unanswered_intents_window_is_not_taken_over(
    stack: StackHarness, tmp_path: Path
) -> None:
    line = unanswered_intent(stack, tmp_path, "Lead", age=create_window() + 60)
    print(f"\nthe dead run's intent: {line}")
    assert json.loads(line)["window"] == 750.0
    held = stack.emulator.service.state  # type: ignore[attr-defined]
    held.create({"name": "Lead"})  # a person makes "Lead" by hand, 13.5 minutes later
    stack.declared = stages("Lead")
    with pytest.raises(Exception) as refused:
        stack.up()
    message = str(refused.value)
    shown = next(line for line in message.splitlines() if "already has a stage" in line)
    print(f"the next up: {shown.strip()}")
    assert "that this stack does not manage; to take it over, set `adopt: true`" in message
    assert stack.emulator.log.writes() == []
    assert [s.name for s in held.listing()] == ["Lead"]


def test_the_same_name_made_inside_the_window_is_recovered_and_the_intent_closed(
    stack: StackHarness, tmp_path: Path
) -> None:
    line = unanswered_intent(stack, tmp_path, "Lead", age=30.0)  # the create died 30 s ago
    held = stack.emulator.service.state  # type: ignore[attr-defined]
    made = held.create({"name": "Lead"})  # what that create made before its run died
    stack.declared = stages("Lead")
    stack.up()
    assert [s.name for s in held.listing()] == ["Lead"]
    assert str(stack.state_outputs()["stage-0"]["stage_id"]) == str(made.id)
    intent = json.loads(line)["intent"]
    logs = list((tmp_path / "journal").glob("*.jsonl"))
    closing = [json.loads(x) for x in logs[0].read_text().splitlines()[1:]]
    assert [(e["intent"], e["id"], e.get("recovered")) for e in closing] == [
        (intent, str(made.id), True)
    ]
