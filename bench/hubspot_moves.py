"""Benchmark: retiring a HubSpot deal stage that holds N deals (default 1,000), through the real
Pulumi engine, against the engine floor.

"ours": a stage set with one deal pipeline (Lead, Demo, Won) applied, N deals put in Demo, then
Demo retired with `moved_to: Won`: the `up` moves every deal and deletes the stage. "floor": the
no-op provider (`bench.noop`) declaring the same resources and removing one, so the difference is
what moving the deals costs. The emulator holds HubSpot's budget (190 requests per 10 s) and its
search limit, so wall time includes waiting for them, as against a real portal.

Printed: wall time of both, our requests by route, and a Markdown row. Run with
`python -m bench.hubspot_moves [--deals 1000]`.

Measured on this project's 2-core machines (December 2026; times vary by machine and load, the
floor with them; requests do not):

| 1,000 deals | ours (s) | floor (s) | requests |
|---|---:|---:|---|
| one PATCH each (before the hook) | 62.81 | 8.06 | 1,014: 1,000 PATCH, 12 search, GET, DELETE |
| batch update, 100 per call | 6.56 | 3.36 | 24: 10 batch update, 12 search, GET, DELETE |
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from bench.engine import TOOLS_BIN, new_stack, warm_up
from bench.noop import NoopSet
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet

TOKEN = "bench-token"
SET_NAME = "pipeline"


def ours_program(names: list[str], retired: list[dict[str, Any]]) -> Callable[[], None]:
    """One deal pipeline of these stages, with retired entries."""

    def program() -> None:
        stages = [{"name": n, "probability": 1.0 if n == "Won" else 0.5} for n in names]
        pipeline: dict[str, Any] = {"name": "Sales", "stages": stages}
        if retired:
            pipeline["retired"] = retired
        StageSet(SET_NAME, {"hubspot": {"deals": [pipeline]}})

    return program


def floor_program(names: list[str]) -> Callable[[], None]:
    """The same resources over the no-op provider (one more stands for the Pipeline)."""

    def program() -> None:
        sequence = [*names, "(pipeline)"]
        NoopSet(SET_NAME, sequence, {n: (i + 1) * 10 for i, n in enumerate(sequence)})

    return program


def run(deals: int, work: Path, home: Path) -> str:
    """Measure once; the Markdown row."""
    with EmulatorServer(HubSpotService(token=TOKEN)) as emulator:
        values = {
            "hubspot:baseUrl": auto.ConfigValue(emulator.base_url),
            "hubspot:accessToken": auto.ConfigValue(TOKEN, secret=True),
        }
        ours = new_stack(work / "ours", home, ours_program(["Lead", "Demo", "Won"], []), values)
        ours.up()
        service: HubSpotService = emulator.service  # type: ignore[assignment]
        demo = dict(service.live_stages())["Demo"]
        won = dict(service.live_stages())["Won"]
        service.put_records(demo, deals)
        emulator.log.reset()
        retire = [{"name": "Demo", "moved_to": "Won"}]
        ours.workspace.program = ours_program(["Lead", "Won"], retire)
        started = time.perf_counter()
        ours.up()
        ours_seconds = time.perf_counter() - started
        assert service.records_in(won) == deals and service.records_in(demo) == 0
        counts = dict(sorted(emulator.log.counts().items()))

    floor = new_stack(work / "floor", home, floor_program(["Lead", "Demo", "Won"]), {})
    floor.up()
    floor.workspace.program = floor_program(["Lead", "Won"])
    started = time.perf_counter()
    floor.up()
    floor_seconds = time.perf_counter() - started

    total = sum(counts.values())
    print(f"retire 1 stage holding {deals} deals: ours {ours_seconds:.2f}s, ", end="")
    print(f"floor {floor_seconds:.2f}s")
    for route, count in counts.items():
        print(f"  {count:6}  {route}")
    print(f"  {total:6}  requests in all")
    return (
        f"| {deals} | {ours_seconds:.2f} | {floor_seconds:.2f} | "
        f"{ours_seconds / floor_seconds:.2f} | {total} | "
        + ", ".join(f"{route} {count}" for route, count in counts.items())
        + " |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hubspot_moves", description=__doc__)
    parser.add_argument("--deals", type=int, default=1000, help="deals in the retired stage")
    deals: int = parser.parse_args(argv).deals
    os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    with tempfile.TemporaryDirectory(prefix="bench-home-") as home:
        warm_up(Path(home))
        with tempfile.TemporaryDirectory(prefix="bench-moves-") as tmp:
            row = run(deals, Path(tmp), Path(home))
    print("\n| deals | ours (s) | floor (s) | ratio | requests | by route |")
    print("|---:|---:|---:|---:|---:|---|")
    print(row)


if __name__ == "__main__":
    main()
