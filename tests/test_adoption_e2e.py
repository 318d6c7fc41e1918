"""Adopting stages that already exist in the account, instead of creating duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer, OutreachService
from tests.engine import Declared, StackHarness
from tests.saved_start import SavedStart, module_start

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def empty_start(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    yield from module_start(tmp_path_factory, pulumi_home, OutreachService)


@pytest.fixture
def stack(empty_start: SavedStart) -> Iterator[StackHarness]:
    """A new stack (no `up` yet) over an empty account: one `stack init` per module."""
    with empty_start.restored() as harness:
        yield harness


def existing(emulator: EmulatorServer, name: str, color: str, order: int) -> int:
    stage = emulator.service.state.create({"name": name, "color": color, "order": order})  # type: ignore[attr-defined]
    return int(stage.id)


def test_adopting_ten_stages_posts_nothing_and_patches_only_differences(
    stack: StackHarness,
) -> None:
    for i in range(10):
        existing(stack.emulator, f"Stage {i}", "#111111", i * 10)
    stack.declared = [
        Declared(
            f"s{i}", f"Stage {i}", "#222222" if i in (2, 5, 7) else "#111111", i * 10, adopt=True
        )
        for i in range(10)
    ]
    stack.up()
    writes = stack.emulator.log.writes()
    assert stack.emulator.log.count("POST") == 0
    assert sorted(w.path for w in writes) == sorted(f"/api/v2/stages/{i + 1}" for i in (2, 5, 7))
    assert all(w.body["data"]["attributes"] == {"color": "#222222"} for w in writes)
    assert len(stack.emulator.service.state.listing()) == 10  # type: ignore[attr-defined]
    assert {o["stage_id"] for o in stack.state_outputs().values()} == set(range(1, 11))
    stack.assert_no_changes()


def test_adopt_falls_back_to_create_when_no_stage_has_the_name(stack: StackHarness) -> None:
    stack.declared = [Declared("s0", "Brand New", "#111111", 10, adopt=True)]
    stack.up()
    assert stack.emulator.log.count("POST") == 1
    stack.assert_no_changes()


def test_ambiguous_name_fails_naming_the_candidate_ids(stack: StackHarness) -> None:
    first = existing(stack.emulator, "Lead", "#111111", 10)
    second = existing(stack.emulator, "Lead", "#111111", 20)
    stack.declared = [Declared("s0", "Lead", adopt=True)]
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    assert f"Outreach has 2 objects named 'Lead' (ids {first}, {second})" in str(failure.value)
    assert stack.emulator.log.writes() == []
    assert stack.state_outputs() == {}


def test_adopt_by_id_takes_that_exact_stage(stack: StackHarness) -> None:
    existing(stack.emulator, "Lead", "#111111", 10)
    wanted = existing(stack.emulator, "Lead", "#111111", 20)
    stack.declared = [Declared("s0", "Qualified", adopt_id=wanted)]
    stack.up()
    assert [(w.method, w.path) for w in stack.emulator.log.writes()] == [
        ("PATCH", f"/api/v2/stages/{wanted}")
    ]
    assert stack.state_outputs()["s0"]["stage_id"] == wanted
    stack.assert_no_changes()
