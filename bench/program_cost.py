"""The program's own CPU per stage, ours against the engine floor, under Pulumi's mocks.

`bench/engine.py` times whole engine runs, which need a quiet machine; the program's share of
them (declaring N stages: the SDK's per-resource work plus ours) needs no engine and no API, so
it is measured here in CPU-seconds of this process (a shared machine changes wall time, far
less CPU time): the `StageSet` of N Outreach stages `bench.engine` declares, against
`bench.noop`'s `NoopSet` of the same resources. Median of `--runs` per size.
`python -m bench.program_cost --sizes 100,500,1000` (`--profile N` prints a cProfile of ours).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import sync_await
from pulumi.runtime.settings import SETTINGS, reset_options
from pulumi.runtime.stack import run_pulumi_func

from bench.engine import Declaration, floor_program, ours_program, parse_sizes


class Mocks(pulumi.runtime.Mocks):
    """Every resource gets an id and its inputs as outputs, as an `up` from state would."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", args.inputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


def run_program(program: Callable[[], None]) -> float:
    """CPU-seconds of one run of `program` until every registration it made has ended."""
    pulumi.runtime.set_mocks(Mocks(), preview=False)
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()
    gc.collect()  # no run pays for the garbage of the one before
    try:
        started = time.process_time()
        sync_await._sync_await(run_pulumi_func(program))
        return time.process_time() - started
    finally:
        reset_options()


def median_costs(
    ours: Callable[[], None], floor: Callable[[], None], runs: int
) -> tuple[float, float]:
    """Median CPU-seconds of each, their runs taken in turn (a shared machine's load then
    weighs on both alike)."""
    pairs = [(run_program(ours), run_program(floor)) for _ in range(runs)]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def profile(n: int, top: int = 30) -> None:
    """A cProfile of our program at N stages, by own time then cumulative time."""
    program = ours_program(Declaration.of(n))
    profiler = cProfile.Profile()
    pulumi.runtime.set_mocks(Mocks(), preview=False)
    try:
        profiler.enable()
        sync_await._sync_await(run_pulumi_func(program))
        profiler.disable()
    finally:
        reset_options()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.program_cost", description=__doc__)
    parser.add_argument("--sizes", type=parse_sizes, default=(100, 500, 1000))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="profile ours at this N instead")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.profile)
        return
    run_program(ours_program(Declaration.of(10)))  # imports and per-class work, paid once
    run_program(floor_program(Declaration.of(10)))
    for n in args.sizes:
        ours, floor = median_costs(
            ours_program(Declaration.of(n)), floor_program(Declaration.of(n)), args.runs
        )
        print(
            f"N={n:5}  ours {ours:6.2f} CPU-s  floor {floor:6.2f} CPU-s  ratio {ours / floor:5.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
