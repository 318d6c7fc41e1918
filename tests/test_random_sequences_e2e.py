"""Random sequences through the real engine, a stateful property test per CRM (Outreach and
Capsule here; HubSpot in test_hubspot_sequences_e2e.py): the machine, its steps, invariants,
faults, statistics and each CRM's world live in `tests/sequences/` (its docstring says what a
sequence does and checks). CI runs one derandomized tour per CRM and asserts its coverage; `make
soak` runs random sequences. Below: the regressions the machine found, as plain tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import CapsuleService, EmulatorServer, OutreachService
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.sequences import model
from tests.sequences.capsule import CapsuleMachine
from tests.sequences.machine import SequenceMachine
from tests.sequences.model import BOARD_TEXTS, SPREAD, Context
from tests.sequences.outreach import OutreachMachine
from tests.sequences.runner import run_sequences
from tests.sequences.stats import STATS

pytestmark = pytest.mark.e2e

MACHINES: dict[str, type[SequenceMachine]] = {
    "outreach": OutreachMachine,
    "capsule": CapsuleMachine,
}


@pytest.fixture
def context(tmp_path: Path, pulumi_home: Path) -> Iterator[Context]:
    model.CONTEXT = Context(pulumi_home, tmp_path)  # hypothesis builds machines with no arguments
    yield model.CONTEXT
    model.CONTEXT = None


@pytest.mark.parametrize("adapter", sorted(MACHINES))
def test_random_sequences_converge(
    context: Context, request: pytest.FixtureRequest, adapter: str
) -> None:
    run_sequences(MACHINES[adapter], context, request)


# ---------------------------------------------------------------- regressions found by the machine
#
# Each replays, as plain steps, the core of a violation of the machine's invariants. One still
# open would be marked xfail(strict=True) until its fix, which strict xfail reports.


def duplicates(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


def test_regression_a_board_change_while_its_stage_holds_records_leaves_one_board(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Steps: up a board with two stages; put 2 open projects in one; change the board's
    description (a replace: its stages follow); up. Capsule cannot edit a board, and it refuses
    to delete a stage with open projects, so the `up` refuses before any write, naming the board
    and the stage's count: one active board of that name, no duplicate stage, every project on a
    live stage."""
    spec: dict[str, Any] = {
        "capsule": {
            "boards": [
                {
                    "name": "Delivery",
                    "description": BOARD_TEXTS[0],
                    "stages": [{"name": "Brief"}, {"name": "Build"}],
                }
            ]
        }
    }
    with EmulatorServer(CapsuleService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="capsule")
        stack.program = lambda: StageSet("pipeline", spec) and None
        stack.up()
        build = dict(server.service.live_stages())["Build"]
        (board,) = server.service.state.boards
        server.service.put_records(build, 2)
        spec["capsule"]["boards"][0]["description"] = BOARD_TEXTS[1]

        try:
            stack.up()
            refused = ""
        except auto.CommandError as error:
            refused = str(error)

        state = server.service.state
        active = [b.name for b in state.boards.values() if not b.archived]
        live = [name for name, _ in server.service.live_stages()]
        held = sum(server.service.records_in(id_) for _, id_ in server.service.live_stages())
        writes = [e.key for e in server.log.writes()]
        print(f"\nboard change with records: boards={active} stages={live} writes={writes}")
        assert duplicates(active) == [], f"two active boards: {active}"
        assert duplicates(live) == [], f"duplicate stages: {live}"
        assert held == 2
        assert f"board 'Delivery' (id {board}) replaces it" in refused, refused[-2000:]
        assert f"stage 'Build' (id {build}) holds 2 projects (2 open)" in refused, refused[-2000:]
        assert writes == [], f"a refused up wrote {writes}"


@pytest.mark.parametrize(
    ("adapter", "adopt"),
    [
        ("outreach", False),
        ("capsule", False),
        pytest.param("outreach", True, id="outreach-adopt"),
        pytest.param("capsule", True, id="capsule-adopt"),
    ],
)
def test_regression_a_rename_onto_a_name_made_by_hand_leaves_no_duplicate(
    tmp_path: Path, pulumi_home: Path, token: str, adapter: str, adopt: bool
) -> None:
    """Steps: up stages Lead and Won (with or without `adopt: true`); rename Lead to Qualified
    with `key: Lead`; by hand, add a stage named Qualified (on the same board); refresh; up.
    The `up` may refuse naming the stage made by hand (then nothing is written) but must never
    leave two stages named Qualified. (The machine found the `adopt` case: its kill step sets
    `adopt` for stages made by hand, as the README's recovery says.)"""
    stages: list[dict[str, Any]] = [{"name": "Lead"}, {"name": "Won"}]
    if adapter == "outreach":
        spec: dict[str, Any] = {"outreach": {"adopt": adopt, "stages": stages}}
        service: Any = OutreachService(token=token)
    else:
        spec = {"capsule": {"adopt": adopt, "boards": [{"name": "Delivery", "stages": stages}]}}
        service = CapsuleService(token=token)
    with EmulatorServer(service) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace=adapter)
        stack.program = lambda: StageSet("pipeline", spec) and None
        stack.up()
        stages[0] = {"name": "Qualified", "key": "Lead"}
        if adapter == "outreach":
            made = str(server.service.state.create({"name": "Qualified", "order": 99}).id)
        else:
            (board,) = server.service.state.boards
            made = str(server.service.state.create_stage({"board": board, "name": "Qualified"}).id)
        stack.refresh()

        try:
            stack.up()
            refused = ""
        except auto.CommandError as error:
            refused = str(error)

        live = [name for name, _ in server.service.live_stages()]
        writes = [e.key for e in server.log.writes()]
        print(f"\nrename onto a hand-made name ({adapter}): stages={live} writes={writes}")
        assert duplicates(live) == [], f"two stages of one name: {live}"
        if refused:
            assert f"(id {made})" in refused, refused[-2000:]
            assert writes == [], f"a refused up wrote {writes}"


def replay(machine: type[SequenceMachine], steps: list[tuple[str, int, int]]) -> None:
    """Run a sequence of named steps `(kind, pick, other)` (as a violation's trace shows them)
    outside hypothesis, through the machine's own steps, checks and final `up` (none when the
    last step ended with a check that found nothing left to apply)."""
    state = machine()
    try:
        state.start()
        for name, pick, other in steps:
            n = state.steps  # undo the spreading `step` applies to the drawn values
            state.step(
                kind=(machine.TOUR.index(name) - n) % len(machine.TOUR),
                pick=(pick - n * 40503) % SPREAD,
                other=(other - n * 24631) % SPREAD,
            )
    except BaseException:
        state.failed = True
        raise
    finally:
        state.teardown()


def test_regression_a_kill_while_a_board_change_replaces_stages_recovers(context: Context) -> None:
    """Steps (the machine's own): up Delivery (Brief, Build, Done) and Sales (Lead, Won);
    describe Delivery anew (a replace: its stages follow onto the new board) and add three
    stages to it; `pulumi up` by the CLI, killed with SIGKILL while its stage POSTs are in
    flight (they commit); `pulumi cancel`; `pulumi refresh --clear-pending-creates`; `up`,
    without `adopt`, as the README's recovery says. That `up` must converge, no duplicate; the
    kill must land while a create is in flight (else the test proves nothing)."""
    before = STATS["kills (creates in flight)"]
    replay(CapsuleMachine, [("change_board", 0, 0), ("kill_up_then_recover", 0, 0)])
    assert STATS["kills (creates in flight)"] == before + 1, "no kill landed while creates ran"


def test_regression_a_rename_onto_a_name_made_by_hand_on_both_boards_names_its_own_board(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Found by a soak (seed 523611984; the machine's check then mixed up the two boards):
    stages named Review made by hand on both boards, and Sales/Build renamed to Review with
    `key: Build`. The refusal names the Review on Sales, not the one on Delivery, and writes
    nothing."""
    spec: dict[str, Any] = {
        "capsule": {
            "boards": [
                {"name": "Delivery", "stages": [{"name": "Brief"}]},
                {"name": "Sales", "stages": [{"name": "Lead"}, {"name": "Build"}]},
            ]
        }
    }
    with EmulatorServer(CapsuleService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="capsule")
        stack.program = lambda: StageSet("pipeline", spec) and None
        stack.up()
        state = server.service.state
        boards = {board.name: id_ for id_, board in state.boards.items()}
        on_sales = str(state.create_stage({"board": boards["Sales"], "name": "Review"}).id)
        on_delivery = str(state.create_stage({"board": boards["Delivery"], "name": "Review"}).id)
        spec["capsule"]["boards"][1]["stages"][1] = {"name": "Review", "key": "Build"}
        server.log.reset()

        with pytest.raises(auto.CommandError) as refused:
            stack.up()

        text = str(refused.value)
        assert f"already has a stage named 'Review' (id {on_sales})" in text, text[-2000:]
        assert f"(id {on_delivery})" not in text
        assert server.log.writes() == []


def test_regression_a_board_restore_answered_500_is_retried(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """Found by a soak (seed 153204868, four of its five violations): a board archived by hand is
    restored by the next `up` with one `POST /boards/{id}/restore`; answered 500 twice (a brief
    outage), the `up` fails at once ("Capsule rejected POST /boards/2/restore: Internal Server
    Error (500)"), while a restore is safe to repeat (the board ends restored either way)."""
    spec: dict[str, Any] = {
        "capsule": {"boards": [{"name": "Delivery", "stages": [{"name": "Brief"}]}]}
    }
    with EmulatorServer(CapsuleService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="capsule")
        stack.program = lambda: StageSet("pipeline", spec) and None
        stack.up()
        (board,) = server.service.state.boards
        server.service.state.archive_board(board)
        stack.refresh()
        route = f"{server.service.base_path}/boards/{{id}}/restore"
        server.faults.add(Fault(FaultKind.STATUS, count=2, status=500, method="POST", path=route))

        try:
            stack.up()
            failed = ""
        except auto.CommandError as error:
            failed = str(error)

        restores = server.log.counts()[f"POST {route}"]
        print(f"\nrestore answered 500 twice: restores sent={restores} failed={bool(failed)}")
        assert not failed, failed[-2000:]
        assert not server.service.state.boards[board].archived
