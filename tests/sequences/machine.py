"""The sequence machine: a model of one stage set in one CRM, its rules and its `up`."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
)
from pulumi import automation as auto

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.server import LoggedRequest
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness

from . import model
from .faults import FaultSteps
from .invariants import Invariants, writes_of
from .model import (
    ENGINE_LOST,
    NAMES,
    PICK,
    PROJECT,
    REFUSALS,
    SPREAD,
    Applied,
    Container,
    R,
    Retired,
    StageModel,
    choose,
)
from .stats import STATS, check, violated
from .steps import DeclarationSteps, HandSteps


def tracked(method: Callable[..., None]) -> Callable[..., None]:
    """A rule: counted, and marks the machine failed when it raises (so teardown only checks a
    sequence that ran to its end)."""

    @functools.wraps(method)
    def run(self: SequenceMachine, *args: Any, **kwargs: Any) -> None:
        if self.idle:
            return
        STATS["steps"] += 1
        try:
            method(self, *args, **kwargs)
        except BaseException:
            self.failed = True
            STATS["failed sequences"] += 1
            raise

    return run


class SequenceMachine(DeclarationSteps, HandSteps, FaultSteps, Invariants, RuleBasedStateMachine):
    """One stage set in one CRM; subclasses say which."""

    adapter: ClassVar[str]
    write_methods: ClassVar[tuple[str, ...]]
    records_word: ClassVar[str]
    stage_create_route: ClassVar[str] = "/api/v2/stages"
    """The emulator's route of a stage create, which the kill step holds and watches."""
    state_boards: dict[str, str]
    """Board name -> id as the state holds them, read once per check (`verify`)."""
    checked: tuple[int, str] = (-1, "")
    """(step, declaration as JSON) of the last check whose preview planned nothing."""

    def __init__(self) -> None:
        super().__init__()
        context = model.CONTEXT
        assert context is not None
        self.idle = context.out_of_time()
        """Past the soak's time budget (and nothing found): the sequence does nothing."""
        self.failed = False
        self.token = f"tok-{os.urandom(8).hex()}"
        if not self.idle:
            STATS["sequences"] += 1
            self.workdir = Path(tempfile.mkdtemp(prefix=f"seq-{self.adapter}-", dir=context.base))
            self.server = EmulatorServer(self.service()).start()
            self.stack = StackHarness.create(
                self.workdir, context.pulumi_home, self.server, self.token, namespace=self.adapter
            )
            self.stack.program = self.program
            workspace = self.stack.stack.workspace  # a plain `pulumi up` runs __main__.py here
            project = workspace.project_settings()
            project.main = str(self.workdir)
            workspace.save_project_settings(project)
            shutil.copy(PROJECT / "__main__.py", self.workdir / "__main__.py")
        self.containers: list[Container] = []
        self.adopt = False
        self.applied = Applied()
        self.records_put = 0
        self.hand_dirty = False
        self.hand_made: dict[tuple[str, str], str] = {}
        """(container, name) -> id of stages made by hand under a declared, uncreated name."""
        self.renamed_onto: set[tuple[str, str]] = set()
        """Those of them named as a declared rename's new name."""
        self.fault: str | None = None
        self.fault_kind: str | None = None
        self.kills = 0
        self.steps = 0
        self.salt = 0
        self.exported = False
        self.counter = 0
        self.trace: list[str] = []
        self.raw = (0, 0)
        """The step's drawn (pick, other) before spreading: all zero in CI's tour, so choices
        made from them (a fault's kind and method) walk their lists in order there."""
        self.faults_made = 0
        self.foreign_made = 0
        self.records: dict[str, str] = {}
        """Record id -> the id of the stage it must sit in after the next completed `up`."""
        self.moves: dict[str, tuple[str, str]] = {}
        """Stage id retired with `moved_to` -> (container, the target's name), until settled."""
        self.foreign: dict[str, Any] = {}
        """Stages and containers made by hand that the set never declares: id -> what they were
        (name, fields, position, container); every `up` must leave them exactly so."""
        self.requests: list[LoggedRequest] = []
        """Every request of the runs since the last reset, lost and killed runs included."""

    def service(self) -> Any:
        raise NotImplementedError

    def initial(self) -> list[Container]:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def account(self) -> dict[str, list[dict[str, Any]]]:
        """Container -> its live stages in the account, in display order (name, id, position,
        fields)."""
        raise NotImplementedError

    def check_fields(self, container: Container, live: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def can_hand_create(self, container: Container) -> bool:
        """Whether a stage can be made by hand in this container now."""
        return True

    def hand_create(self, container: Container, name: str) -> str:
        raise NotImplementedError

    def hand_rename(self, stage_id: str, name: str) -> None:
        raise NotImplementedError

    def hand_delete(self, stage_id: str) -> None:
        raise NotImplementedError

    def hand_position(self, stage_id: str, position: int) -> None:
        raise NotImplementedError

    def new_stage(self, container: Container, name: str, pick: int) -> StageModel:
        raise NotImplementedError

    def refield(self, stage: StageModel, pick: int) -> None:
        """Recolour (Outreach) or re-describe (Capsule) a stage."""
        raise NotImplementedError

    def record_stage(self, record_id: str) -> str | None:
        """The id of the stage a record sits in now (None: no stage, or the record is gone)."""
        raise NotImplementedError

    def by_status(self, stage_id: str) -> list[str]:
        """How a refusal counts a stage's records by status ("1 closed"), where the CRM has
        statuses."""
        return []

    def make_records(self, stage_id: str, count: int, pick: int) -> list[str]:
        """Put `count` records in a stage by hand (Capsule closes some); their ids."""
        return [str(i) for i in self.server.service.put_records(stage_id, count)]

    def make_foreign(self, pick: int) -> str:
        """Make by hand a stage (or a container with a stage) that the set never declares,
        noting it in `foreign`; what was made, for the trace."""
        raise NotImplementedError

    def foreign_view(self) -> dict[str, Any]:
        """What each id of `foreign` is now (None when gone)."""
        raise NotImplementedError

    def created(self, entry: LoggedRequest) -> list[tuple[str, str]]:
        """(container, name) of each stage a request creates (a Capsule board's, HubSpot
        pipeline's own name under the container `+`)."""
        raise NotImplementedError

    def where(self, outputs: dict[str, Any]) -> str:
        """The container a stage resource's outputs name."""
        return str(outputs.get("board") or self.adapter)

    covered: ClassVar[tuple[str, ...]] = ()
    """This CRM's own counters that CI's tour must raise above 0 (see `coverage`)."""
    record_routes: ClassVar[tuple[str, ...]] = ()
    """Route endings of a write to one record (a move)."""

    def program(self) -> None:
        StageSet("pipeline", self.spec())

    def note(self, text: str) -> None:
        """A line of this sequence's trace (shown with a violation) and a hypothesis event."""
        self.trace.append(text)
        with contextlib.suppress(InvalidArgument):  # no event outside hypothesis (a replay)
            event(text.split(":", maxsplit=1)[0])
        if text.endswith("not applicable"):
            STATS["steps not applicable"] += 1

    def taken(self, container: Container) -> set[str]:
        """Names a stage new to this list must avoid: its declared and retired names and keys,
        and those the last `up` left (a stage removed since may still need a `retired:` entry
        under its name)."""
        applied = self.applied.stages.get(container.name, {})
        return container.taken() | set(applied) | {name for name, _ in applied.values()}

    def fresh_name(self, container: Container, pick: int) -> str:
        taken = self.taken(container)
        free = [n for n in NAMES if n not in taken]
        if free:
            return choose(free, pick)
        self.counter += 1
        return f"{choose(list(NAMES), pick)} {self.counter}"

    def managed(self) -> list[tuple[Container, str, str]]:
        """(container, identity, id) of every applied stage still live in the account."""
        live = {id_ for _, id_ in self.server.service.live_stages()}
        found = []
        for container in self.containers:
            for identity, (_, id_) in self.applied.stages.get(container.name, {}).items():
                if id_ in live:
                    found.append((container, identity, id_))
        return found

    def pinned(self, container: Container, stage: StageModel) -> bool:
        """Whether a stage someone made by hand carries this declared stage's name until the
        next `up`: the declaration keeps it as it is (removed, renamed or moved, the stage made
        by hand would be one the set does not declare, rightly left alone)."""
        return (container.name, stage.name) in self.hand_made

    def records_in(self, stage_id: str) -> int:
        """Records on a stage whatever their status (a removal must move closed ones too)."""
        return int(self.server.service.records_in(stage_id))

    def pending(self) -> bool:
        """Whether the declaration differs from what the last `up` applied."""
        return json.dumps(self.spec(), sort_keys=True) != self.applied.spec

    def clean(self) -> bool:
        return not (self.pending() or self.hand_dirty or self.hand_made or self.fault)

    TOUR: ClassVar[tuple[str, ...]]
    """The step kinds, in the order a sequence of all-zero choices visits them (hypothesis
    tries that sequence first, so CI's fixed run is a tour of every kind); `step` shifts the
    drawn kind by the step number, so random draws stay uniform over this list. `up` appears
    several times: that is its weight. `inject_fault` appears once per fault kind, each before
    an `up` that sends the method it picks; the last one's fault meets the final `up`."""

    @initialize(salt=PICK)
    @tracked
    def start(self, salt: int = 0) -> None:
        self.salt = salt
        """Added to every step's choices: hypothesis draws 0 far more often than any other
        value, and the salt (drawn once, so mostly not 0) spreads those zeros out."""
        self.exported = salt % 4 == 3
        """One sequence in four keeps `adopt: true` throughout, as a file made by `pulumi-stages
        export` does."""
        self.adopt = self.exported
        self.containers = self.initial()
        self.note("initial up")
        self.apply_and_check()

    @rule(kind=st.integers(0, 63), pick=PICK, other=PICK)
    @tracked
    def step(self, kind: int, pick: int, other: int) -> None:
        name = self.TOUR[(kind + self.steps) % len(self.TOUR)]
        self.raw = (pick, other)
        # Hypothesis favours 0 for every integer; spread the choices over the steps the same way
        # (all-zero draws then still vary what they pick).
        pick = (pick + self.salt + self.steps * 40503) % SPREAD
        other = (other + self.salt + self.steps * 24631) % SPREAD
        self.steps += 1
        STATS[f"rule: {name}"] += 1
        skipped = STATS["steps not applicable"]
        getattr(self, name)(pick, other)
        if STATS["steps not applicable"] == skipped:
            STATS[f"ran: {name}"] += 1

    def up(self, pick: int, _: int) -> None:
        self.note("up")
        self.apply_and_check(pick, preview=True)

    def prepare(self, pick: int) -> None:
        """What a user does before `up`: a stage that leaves the set while holding records is
        listed under `retired:` with `moved_to` another stage of its list; a board change whose
        board holds records is taken back (Capsule would strand them: see the regression test)."""
        for container in self.containers:
            applied = self.applied.stages.get(container.name, {})
            declared = {s.identity for s in container.stages} | {
                r.identity for r in container.retired
            }
            live = {id_ for _, id_ in self.server.service.live_stages()}
            for identity, (name, id_) in applied.items():
                if identity in declared or id_ not in live or not self.records_in(id_):
                    continue
                target = choose(container.stages, pick + len(container.retired))
                key = identity if identity != name else None
                container.retired.append(Retired(name, key, target.name))
                self.moves[id_] = (container.name, target.name)
                STATS["retired with moved_to"] += 1
                self.note(f"retire: {container.name}/{name} -> {target.name}")
        self.prepare_boards()

    def prepare_boards(self) -> None:
        """Capsule only."""

    def replacing(self) -> bool:
        """Whether the next `up` replaces stages (Capsule: a board change)."""
        return False

    def engine(self, operation: Callable[[], R]) -> R:
        """Run a `pulumi` operation of the stack. The Automation API runs the inline program in
        this process; now and then (a few times an hour of soak, after many runs) a run's
        program loses its engine at the start ("Resource monitor has terminated", a refused
        connection to the monitor) before any resource step: that run is repeated (counted),
        never taken for a verdict on the provider. A refusal is never repeated."""
        for attempt in range(3):
            STATS[f"engine runs: {operation.__name__}"] += 1
            try:
                result = operation()
                self.requests += self.server.log.entries()
                return result
            except auto.CommandError as error:
                self.requests += self.server.log.entries()  # a lost run's too: checked later
                text = str(error)
                lost = any(sign in text for sign in ENGINE_LOST)
                refused = any(sign in text for sign in REFUSALS)
                if not lost or refused or attempt == 2:
                    if refused:
                        time.sleep(1)  # let the aborted program wind down before the next run
                    raise
                STATS["runs repeated (inline program lost its engine)"] += 1
                STATS["lost runs' requests kept"] += len(self.server.log.entries())
                self.note(f"repeat: {operation.__name__} lost its engine")
                time.sleep(2)
        raise AssertionError("unreachable")

    def refresh(self) -> None:
        try:
            self.engine(self.stack.refresh)
        except auto.CommandError as error:
            raise violated(
                f"refresh failed (fault: {self.fault}; trace: {self.trace}):\n{str(error)[-3000:]}"
            ) from None
        STATS["refreshes"] += 1

    def apply_and_check(
        self,
        pick: int = 0,
        refresh: bool = True,
        preview: bool = False,
        earlier: list[LoggedRequest] | None = None,
    ) -> None:
        """Prepare, (refresh,) (preview,) `up`, check; `earlier`: requests of a killed run the
        recovering `up` finishes, checked with its own."""
        self.prepare(pick)
        if self.hand_dirty and refresh:
            self.refresh()
        if preview:
            self.preview_writes_nothing()
        self.requests = list(earlier or [])
        self.run_up()
        done = self.requests
        STATS["completed ups"] += 1
        if self.exported:
            STATS["completed ups (adopt: true)"] += 1
        if self.fault and self.server.faults.pending():
            STATS["faults never hit"] += 1
        elif self.fault:
            STATS[f"fault hit: {self.fault_kind}"] += 1
        self.server.faults.clear()
        self.fault = self.fault_kind = None
        self.verify(done)
        self.settle()

    def run_up(self) -> None:
        try:
            self.engine(self.stack.up)
            return
        except auto.CommandError as error:
            text = str(error)
            if not (self.hand_made and "already has a" in text):
                raise violated(
                    f"up failed (fault: {self.fault}; trace: {self.trace}):\n{text[-4000:]}"
                ) from None
            named = re.findall(r"already has a \w+ named '([^']*)' \(id ([0-9, ]+)\)", text)
            # `stack.up` skips the preview, so the engine runs the other resources' steps (a
            # replacement's create too) while this one's check refuses: nothing of the refused
            # name is created; 0 writes is the preview's promise (README), checked before each
            # `up` step (a soak, seed 153204868, saw the other create)
            refused = {name for name, _ in named}
            made = [
                (entry.key, name)
                for entry in writes_of(self.requests)
                for _, name in self.created(entry)
                if name in refused
            ]
            check(made == [], f"a refused up created {made} (trace: {self.trace})")
            check(bool(named), f"the refusal names no stage:\n{text[-2000:]}")
            made = {(name, id_) for (_, name), id_ in self.hand_made.items()}  # per container
            for name, ids in named:
                check(
                    any((name, id_) in made for id_ in ids.split(", ")),
                    f"the refusal names {name!r} (id {ids}), not a stage made by hand: {made}",
                )
            STATS["refusals (duplicate name)"] += 1
        for container, name in self.renamed_onto:  # no adopting onto a rename: the copy goes
            self.hand_delete(self.hand_made[(container, name)])
            self.note(f"hand delete: the copy of {container}/{name}, after the refusal")
        if self.renamed_onto:
            self.refresh()
        self.adopt = True
        self.note("adopt: after the refusal")
        try:
            self.engine(self.stack.up)
        except auto.CommandError as error:
            raise violated(
                f"up with adopt failed (trace: {self.trace}):\n{str(error)[-4000:]}"
            ) from None

    def settle(self) -> None:
        """The `up` completed: it is what the account now holds."""
        account = self.declared_account()
        STATS["records moved to moved_to (by id)"] += sum(
            1 for stage_id in self.records.values() if stage_id in self.moves
        )
        self.records = {
            record: self.expected_stage(stage_id, account) or stage_id
            for record, stage_id in self.records.items()
        }
        self.moves = {}
        self.applied.stages = {}
        for container in self.containers:
            by_name = {s["name"]: s["id"] for s in account[container.name]}
            self.applied.stages[container.name] = {
                s.identity: (s.name, by_name[s.name]) for s in container.stages
            }
            container.retired = []  # retired: their entries can go (that costs nothing)
        self.adopt = self.exported
        self.hand_dirty = False
        self.hand_made = {}
        self.renamed_onto = set()
        self.settle_boards(account)
        self.applied.spec = json.dumps(self.spec(), sort_keys=True)

    def settle_boards(self, account: dict[str, list[dict[str, Any]]]) -> None:
        """Capsule only."""

    def converged(self) -> bool:
        """Whether the last step ended with a check whose preview, of this same declaration,
        planned nothing: a final `up` would be a no-op proving nothing new (a replay that ends
        with a recovering `up`)."""
        return self.checked == (self.steps, json.dumps(self.spec(), sort_keys=True))

    def teardown(self) -> None:
        if self.idle:
            return
        try:
            if not self.failed and self.applied.spec and self.converged():
                self.note("final up: not applicable (the last check's preview planned nothing)")
            elif not self.failed and self.applied.spec:
                self.note("final up")
                self.apply_and_check()
        except BaseException:
            STATS["failed sequences"] += 1
            raise
        finally:
            self.server.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)
