"""Benchmark: how close to the no-op floor an httpx-based refresh that reads the account can come.

`bench.engine` compares a refresh of our stage set with the same resources over a no-op provider,
which reads nothing. This benchmark adds the floors between the two, per N (default 100, 500,
1000), in one process and against one emulator holding the N stages (ours creates them):

- floor: the no-op provider (`bench.noop_provider`), the issue's floor;
- least: the no-op stage that also lists the account once with httpx (`bench.least_provider`),
  the one thing such a refresh must add;
- least+pydantic: that, from a module defining a pydantic inputs model whose validator is
  built on first use (`bench.least_validating_provider`): what a provider whose pickled class's
  module imports pydantic (as ours did until 18ab587) adds for a refresh, which validates
  nothing;
- ours: the StageSet of N Outreach stages.

Each refresh is timed `--runs` times (the sides in turn, the order rotated each run: a multiple
of 4 gives each side each place equally), and each side's median wall time and median ratio to
the floor's (of the runs' own pairs) are printed with the lowest and highest, and the requests
each side made (each run's, where they differ). Run with `python -m bench.refresh_floor` (times
vary by machine; requests do not).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pulumi import automation as auto

from bench.engine import (
    DEFAULT_SIZES,
    TARGET_RATIO,
    TOKEN,
    Declaration,
    by_method,
    new_stack,
    ours_program,
    outreach_config,
    parse_runs,
    parse_sizes,
    warm_up,
)
from bench.least_provider import PAGE_SIZE, LeastStageProvider
from bench.least_validating_provider import LeastValidatingStageProvider
from bench.noop import NoopSet
from bench.noop_provider import NoopProvider
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.outreach import OutreachService
from pulumi_stages.outreach.api import LISTING_PAGE_SIZE
from tests.engine import TOOLS_BIN

SET_NAME = "pipeline"
SIDES = ("floor", "least", "least+pydantic", "ours")


def floor_program(n: int, provider: NoopProvider | None) -> Callable[[], None]:
    """N no-op stages and their order, the stages answered by `provider` if given."""
    declared = Declaration.of(n)

    def program() -> None:
        NoopSet(SET_NAME, declared.sequence, declared.positions, stage_provider=provider)

    return program


def stacks(n: int, work: Path, home: Path, emulator: EmulatorServer) -> dict[str, auto.Stack]:
    """One stack per side, each up, over one account: ours goes first and creates the N stages
    the others list (created, not adopted: an adopted stage's state record is larger, and the
    refresh compared is `bench.engine`'s, of stages the set made)."""
    config = outreach_config(emulator)
    made = {
        "ours": new_stack(work / "ours", home, ours_program(Declaration.of(n)), config),
        "floor": new_stack(work / "floor", home, floor_program(n, None), {}),
        "least": new_stack(work / "least", home, floor_program(n, LeastStageProvider()), config),
        "least+pydantic": new_stack(
            work / "least-pydantic", home, floor_program(n, LeastValidatingStageProvider()), config
        ),
    }
    for stack in made.values():
        stack.up()
    held = len(emulator.service.live_stages())
    if held != n:
        raise RuntimeError(f"the account holds {held} stages, not {n}: the floors would list that")
    return made


def measure(n: int, runs: int, home: Path) -> None:
    """Time every side's refresh `runs` times at N and print the medians."""
    seconds: dict[str, list[float]] = {side: [] for side in SIDES}
    requests: dict[str, dict[str, None]] = {side: {} for side in SIDES}
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-refresh-{n}-") as tmp,
        EmulatorServer(OutreachService(token=TOKEN)) as emulator,
    ):
        made = stacks(n, Path(tmp), home, emulator)
        for run in range(runs):
            shift = run % len(SIDES)
            for side in SIDES[shift:] + SIDES[:shift]:
                emulator.log.reset()
                started = time.perf_counter()
                made[side].refresh()
                seconds[side].append(time.perf_counter() - started)
                counted = by_method(emulator)
                shown = " ".join(f"{m} {c}" for m, c in sorted(counted.items())) or "none"
                requests[side][shown] = None
    floor = seconds["floor"]
    for side in SIDES:
        ratios = [mine / theirs for mine, theirs in zip(seconds[side], floor, strict=True)]
        ratio = statistics.median(ratios)
        verdict = "ok" if ratio <= TARGET_RATIO else "OVER"
        against = (
            f"ratio {ratio:4.2f} ({min(ratios):.2f}-{max(ratios):.2f}) {verdict:<4}"
            if side != "floor"
            else f"{'(the floor)':<23}"
        )
        print(
            f"N={n:5}  {side:<15} {statistics.median(seconds[side]):6.2f}s  {against}  "
            f"requests: {' / '.join(requests[side])}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.refresh_floor", description=__doc__)
    parser.add_argument("--sizes", type=parse_sizes, default=DEFAULT_SIZES)
    parser.add_argument("--runs", type=parse_runs, default=4)
    args = parser.parse_args(argv)
    if PAGE_SIZE != LISTING_PAGE_SIZE:
        parser.error(f"least lists {PAGE_SIZE} stages a page and ours {LISTING_PAGE_SIZE}")
    os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    os.environ.pop("PULUMI_STAGES_FORKSERVER", None)  # the CLI must start its own providers
    with tempfile.TemporaryDirectory(prefix="bench-home-") as home:
        warm_up(Path(home))
        for n in args.sizes:
            measure(n, args.runs, Path(home))


if __name__ == "__main__":
    main()
