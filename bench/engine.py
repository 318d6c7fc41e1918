"""Benchmark: our stage set against the engine floor, through the real Pulumi engine.

For each N (default 100, 500, 1000) and in one process, two stacks run the same operations one
after the other: "ours", a `StageSet` of N Outreach stages against the emulator, and "floor", a
no-op dynamic provider declaring the same resources with the same properties (`bench.noop`: one
component, N stage-like resources and one ordering-like resource over their ids) that makes no
API call. Operations, in order: up from empty, no-op preview, no-op up, refresh, move 1 stage
(the last to the front), adopt N existing stages (ours: a fresh stack over an account that
already holds them, one in ten with a different colour; floor: an up from empty of the same
declaration, as it has nothing to adopt), destroy.

Each row gives wall time of both, their ratio (target: at most 1.1x), the CPU of the CLI runs
in the operation's window with the dynamic-provider processes they start and reap (the inline
program and the emulator run in this process and are not counted; the Automation API's own
follow-up runs, such as `stack history`, are counted on both sides alike, so the row shows ours
less the floor's, in which they cancel), our API requests by method and, for move 1 and adopt,
the request bound (writes plus one listing read per `LISTING_PAGE_SIZE` stages). With
`--floor loaded` the floor's provider process imports what ours imports, when ours does (our
stage module at the start, our validation with the first check, httpx with the first call that
would send a request, tenacity with a create; `bench.noop_provider_loaded`): the second
yardstick, ours against a floor that pays the same imports. `make bench` runs the first.
With `--runs K` every size is run K times over (new stacks, a new emulator), and the table at
the end gives each cell's median ratio with its lowest and highest: one run's noise is about
+-10%, too much to judge a 1.1x bar by. Run with `make bench` or
`python -m bench.engine --sizes 100,500,1000 --runs 3` (times vary by machine; requests do not).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from bench.noop import NoopSet
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.api import LISTING_PAGE_SIZE
from pulumi_stages.stageset import StageSet
from tests.engine import PASSPHRASE, ROOT, TOOLS_BIN

try:
    from pulumi_stages.emulator.outreach import OutreachService
except ImportError:  # the layout before adapters had their own emulator modules
    from pulumi_stages.emulator import OutreachService

TOKEN = "bench-token"
PROJECT = "stages-bench"
SET_NAME = "pipeline"
TARGET_RATIO = 1.1
"""The floor bar of issue 22: each operation at most 1.1x the floor, same run."""
COLOR = "#5951ff"
OTHER_COLOR = "#2ecc71"
DEFAULT_SIZES = (100, 500, 1000)
OPERATIONS = (
    "up from empty",
    "no-op preview",
    "no-op up",
    "refresh",
    "move 1",
    "adopt N",
    "destroy",
)


@dataclass
class Declaration:
    """What an inline program declares next run: stage names in display order, with an optional
    colour each, the fixed position of each name (the floor's position hints) and whether the
    stages are adopted."""

    sequence: list[str]
    positions: dict[str, int]
    colors: dict[str, str] = field(default_factory=dict)
    adopt: bool = False

    @classmethod
    def of(cls, n: int) -> Declaration:
        """N stages `Stage 0`... in that order, at positions 10, 20, 30..."""
        names = [f"Stage {i}" for i in range(n)]
        return cls(names, {name: (i + 1) * 10 for i, name in enumerate(names)})

    def move_last_to_front(self) -> None:
        """Move one stage; a stage's own inputs (name, position, colour) stay as they were."""
        self.sequence.insert(0, self.sequence.pop())


def ours_program(declared: Declaration) -> Callable[[], None]:
    """The stage set as a user declares it in Python."""

    def program() -> None:
        stages: list[dict[str, Any]] = []
        for name in declared.sequence:
            stage: dict[str, Any] = {"name": name}
            if name in declared.colors:
                stage["color"] = declared.colors[name]
            stages.append(stage)
        section: dict[str, Any] = {"stages": stages}
        if declared.adopt:
            section["adopt"] = True
        StageSet(SET_NAME, {"outreach": section})

    return program


def floor_program(declared: Declaration, loaded: bool = False) -> Callable[[], None]:
    """The same resources over the no-op provider (`loaded`: the one whose process imports
    what ours does, `bench.noop_provider_loaded`)."""

    def program() -> None:
        NoopSet(
            SET_NAME,
            list(declared.sequence),
            declared.positions,
            declared.colors,
            adopt=declared.adopt,
            loaded=loaded,
        )

    return program


def new_stack(
    work: Path,
    home: Path,
    program: Callable[[], None],
    config: Mapping[str, auto.ConfigValue],
) -> auto.Stack:
    """A stack of an inline program on its own file backend, secrets under a passphrase."""
    backend = work / "state"
    backend.mkdir(parents=True)
    settings = auto.ProjectSettings(
        name=PROJECT, runtime="python", backend=auto.ProjectBackend(url=backend.as_uri())
    )
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    stack = auto.create_stack(
        "bench",
        project_name=PROJECT,
        program=program,
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(work),
            pulumi_home=str(home),
            project_settings=settings,
            secrets_provider="passphrase",
            env_vars={
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_STAGES_TOKEN_CACHE": str(work / "tokens"),
                "PYTHONPATH": python_path,  # the provider process imports bench.noop
            },
            pulumi_command=auto.PulumiCommand(root=str(TOOLS_BIN.parent)),
        ),
    )
    if config:
        stack.set_all_config(dict(config))
    return stack


def outreach_config(emulator: EmulatorServer) -> dict[str, auto.ConfigValue]:
    """The stack config pointing the Outreach adapter at an emulator."""
    return {
        "outreach:baseUrl": auto.ConfigValue(emulator.base_url),
        "outreach:accessToken": auto.ConfigValue(TOKEN, secret=True),
    }


Result = auto.UpResult | auto.PreviewResult | auto.RefreshResult | auto.DestroyResult


def changes_of(result: Result) -> dict[str, int]:
    """The engine's count of steps by kind (create, same, update, delete...)."""
    if isinstance(result, auto.PreviewResult):
        raw: Mapping[Any, int] = result.change_summary
    else:
        raw = result.summary.resource_changes or {}
    return {getattr(op, "value", str(op)): count for op, count in raw.items() if count}


@dataclass
class Measure:
    """One operation on one stack: wall time, CPU of the processes it started, engine steps."""

    seconds: float
    changes: dict[str, int]
    cpu: float = 0.0


def children_cpu() -> float:
    """User and system CPU of every child process this process has waited for so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(action: Callable[[], Result]) -> Measure:
    cpu, started = children_cpu(), time.perf_counter()
    result = action()
    return Measure(time.perf_counter() - started, changes_of(result), children_cpu() - cpu)


@dataclass
class Row:
    """One operation at one size, ours against the floor."""

    n: int
    operation: str
    ours: Measure
    floor: Measure
    requests: Counter[str]
    bound: str = ""
    to_noop: float | None = None
    """Move 1 only: ours against the floor's no-op up, the other yardstick of a move."""

    @property
    def ratio(self) -> float:
        return self.ours.seconds / self.floor.seconds

    @property
    def cpu_gap(self) -> float:
        """CPU-seconds ours spent over the floor's (the CLI runs both sides make cancel)."""
        return self.ours.cpu - self.floor.cpu

    def requests_text(self) -> str:
        return " ".join(f"{m} {c}" for m, c in sorted(self.requests.items())) or "none"


def by_method(emulator: EmulatorServer) -> Counter[str]:
    """The emulator's requests since its log was last reset, counted by HTTP method."""
    return Counter(entry.method for entry in emulator.log.entries())


def bound_text(requests: Counter[str], writes: int, reads: int, method: str = "PATCH") -> str:
    """The expected requests, and whether ours stayed within them."""
    made_writes = sum(c for m, c in requests.items() if m not in ("GET", "HEAD"))
    made_reads = requests.get("GET", 0)
    verdict = "met" if made_writes <= writes and made_reads <= reads else "EXCEEDED"
    return f"{method} {writes} + GET {reads}: {verdict}"


def changes_text(changes: Mapping[str, int]) -> str:
    return " ".join(f"{op} {count}" for op, count in sorted(changes.items())) or "-"


def print_row(row: Row) -> None:
    within = "ok" if row.ratio <= TARGET_RATIO else "OVER"
    print(
        f"N={row.n:5}  {row.operation:<13}  ours={row.ours.seconds:7.2f}s  "
        f"floor={row.floor.seconds:7.2f}s  ratio={row.ratio:5.2f} {within:<4}  "
        f"cpu={row.ours.cpu:6.2f}/{row.floor.cpu:6.2f}s ({row.cpu_gap:+5.2f})  "
        f"requests: {row.requests_text():<22}  {row.bound}",
        flush=True,
    )
    if row.to_noop is not None:
        verdict = "ok" if row.to_noop <= TARGET_RATIO else "OVER"
        print(f"         {row.to_noop:.2f}x the floor's no-op up {verdict}", flush=True)
    if row.ours.changes != row.floor.changes:
        print(
            f"         engine steps differ: ours {changes_text(row.ours.changes)}; "
            f"floor {changes_text(row.floor.changes)}",
            flush=True,
        )


class SizeRun:
    """Every operation at one N: our stack and the floor's side by side."""

    def __init__(
        self,
        n: int,
        work: Path,
        home: Path,
        emulator: EmulatorServer,
        *,
        floor_first: bool = False,
        loaded: bool = False,
    ) -> None:
        self.n, self.work, self.home, self.emulator = n, work, home, emulator
        self.loaded = loaded
        """The floor whose provider process imports what ours does (`--floor loaded`)."""
        self.floor_first = floor_first
        """Time the floor before ours in each pair (alternated between runs, so neither side
        always runs on a machine the other has just warmed)."""
        self.rows: list[Row] = []
        self.ours_declared, self.floor_declared = Declaration.of(n), Declaration.of(n)
        self.ours = new_stack(
            work / "ours", home, ours_program(self.ours_declared), outreach_config(emulator)
        )
        self.floor = new_stack(work / "floor", home, floor_program(self.floor_declared, loaded), {})

    def measure(
        self,
        operation: str,
        ours: Callable[[], Result],
        floor: Callable[[], Result],
        emulator: EmulatorServer | None = None,
    ) -> Row:
        emulator = emulator or self.emulator
        floor_measure = timed(floor) if self.floor_first else None
        emulator.log.reset()
        ours_measure = timed(ours)
        requests = by_method(emulator)
        floor_measure = floor_measure or timed(floor)
        row = Row(self.n, operation, ours_measure, floor_measure, requests)
        self.rows.append(row)
        return row

    def run(self) -> list[Row]:
        n, ours, floor = self.n, self.ours, self.floor
        print_row(self.measure("up from empty", ours.up, floor.up))
        print_row(
            self.measure(
                "no-op preview", lambda: ours.preview(diff=True), lambda: floor.preview(diff=True)
            )
        )
        noop_up = self.measure("no-op up", ours.up, floor.up)
        print_row(noop_up)
        print_row(self.measure("refresh", ours.refresh, floor.refresh))

        self.ours_declared.move_last_to_front()
        self.floor_declared.move_last_to_front()
        move = self.measure("move 1", ours.up, floor.up)
        reads = math.ceil(n / LISTING_PAGE_SIZE)
        move.to_noop = move.ours.seconds / noop_up.floor.seconds
        move.bound = bound_text(move.requests, 1, reads)
        print_row(move)

        adopt = self.adopt()
        adopt.bound = bound_text(adopt.requests, self.differing(), reads)
        print_row(adopt)

        print_row(self.measure("destroy", ours.destroy, floor.destroy))
        return self.rows

    def differing(self) -> int:
        """How many of the N existing stages the adopt declaration recolours: one in ten."""
        return len(range(0, self.n, 10))

    def adopt(self) -> Row:
        """A fresh stack adopting an account that already holds the N stages, in order."""
        service = OutreachService(token=TOKEN)
        declared = Declaration.of(self.n)
        declared.adopt = True
        for index, name in enumerate(declared.sequence):
            service.state.create({"name": name, "order": (index + 1) * 10, "color": COLOR})
            declared.colors[name] = OTHER_COLOR if index % 10 == 0 else COLOR
        with EmulatorServer(service) as emulator:
            ours = new_stack(
                self.work / "ours-adopt",
                self.home,
                ours_program(declared),
                outreach_config(emulator),
            )
            floor = new_stack(
                self.work / "floor-adopt", self.home, floor_program(declared, self.loaded), {}
            )
            return self.measure("adopt N", ours.up, floor.up, emulator)


def warm_up(home: Path, loaded: bool = False) -> None:
    """One small floor up and destroy (of the floor measured), so the first timed command pays
    no cold start."""
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        stack = new_stack(Path(tmp), home, floor_program(Declaration.of(3), loaded), {})
        stack.up()
        stack.destroy()


def markdown(rows: list[Row]) -> str:
    """One line per size and operation: medians over the runs, the ratio's median (lowest to
    highest), the median CPU of each side and of their difference, and the requests and their
    bound, each run's if they differ. The median ratio (and CPU difference) is that of the
    runs' own (each a pair timed back to back), not of the median times."""
    cells: dict[tuple[int, str], list[Row]] = {}
    for row in rows:
        cells.setdefault((row.n, row.operation), []).append(row)
    lines = [
        "| N | operation | runs | ours (s) | floor (s) | ratio (low-high) "
        "| CPU-s ours/floor (ours less floor) | our requests | bound |",
        "|---:|---|---:|---:|---:|---|---|---|---|",
    ]
    for (n, operation), runs in cells.items():
        ratios = [run.ratio for run in runs]
        ratio = statistics.median(ratios)
        flag = "" if ratio <= TARGET_RATIO else " **over**"
        bound = " / ".join(dict.fromkeys(run.bound for run in runs))
        moves = [run.to_noop for run in runs if run.to_noop is not None]
        if moves:
            bound += f"; {statistics.median(moves):.2f}x the floor's no-op up"
        lines.append(
            f"| {n} | {operation} | {len(runs)} "
            f"| {statistics.median(run.ours.seconds for run in runs):.2f} "
            f"| {statistics.median(run.floor.seconds for run in runs):.2f} "
            f"| {ratio:.2f}{flag} ({min(ratios):.2f}-{max(ratios):.2f}) "
            f"| {statistics.median(run.ours.cpu for run in runs):.2f}"
            f"/{statistics.median(run.floor.cpu for run in runs):.2f} "
            f"({statistics.median(run.cpu_gap for run in runs):+.2f}) "
            f"| {' / '.join(dict.fromkeys(run.requests_text() for run in runs))} | {bound} |"
        )
    return "\n".join(lines)


def parse_runs(text: str) -> int:
    runs = int(text)
    if runs < 1:
        raise argparse.ArgumentTypeError("runs must be at least 1")
    return runs


def parse_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(",") if part.strip())
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 100,500,1000")
    return sizes


def main(argv: list[str] | None = None) -> None:
    """Every operation at every size, one line each, then the Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=DEFAULT_SIZES,
        help="comma-separated stage counts (default: 100,500,1000)",
    )
    parser.add_argument(
        "--runs",
        type=parse_runs,
        default=1,
        help="run every size this many times and give each cell's median (default: 1)",
    )
    parser.add_argument(
        "--floor",
        choices=("noop", "loaded"),
        default="noop",
        help="noop: the floor's provider imports only pulumi (the issue's floor); loaded: it "
        "also imports what ours does, when ours does (default: noop)",
    )
    args = parser.parse_args(argv)
    sizes: tuple[int, ...] = args.sizes
    os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    # The suite's fork server would start the providers, out of the CLI's CPU count.
    os.environ.pop("PULUMI_STAGES_FORKSERVER", None)
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-home-") as home:
        warm_up(Path(home), args.floor == "loaded")
        for n in sizes:
            for run in range(args.runs):
                with (
                    tempfile.TemporaryDirectory(prefix=f"bench-{n}-") as tmp,
                    EmulatorServer(OutreachService(token=TOKEN)) as emulator,
                ):
                    size_run = SizeRun(
                        n,
                        Path(tmp),
                        Path(home),
                        emulator,
                        floor_first=run % 2 == 1,
                        loaded=args.floor == "loaded",
                    )
                    rows += size_run.run()
    floor = "bench.noop" + (" over bench.noop_provider_loaded" if args.floor == "loaded" else "")
    print(f"\nours: StageSet of N Outreach stages; floor: {floor} (same resources, no API);")
    print(f"ratio target <= {TARGET_RATIO}x; total {time.perf_counter() - started:.0f}s\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
