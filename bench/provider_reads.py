"""Benchmark: a provider process's CPU for a refresh's Reads, ours against the floor's.

`bench.engine`'s refresh row puts ours over the floor at every N; this splits that gap by
process. For each N it starts the real provider process (`tests.provider_process`) for our
Outreach stage and for the floor's no-op stage (`bench.noop_provider`), Configures it, sends
one Read (the start: unpickling, imports, first request) and then N Reads of N stages, four at
a time as the engine sends them (`--concurrency`; the listing's GETs among them), and prints
the process's CPU for the start and for the N Reads, per Read on each side, and ours less the
floor's. The emulator runs in this process and is not counted. Linux only: the CPU is read
from /proc in 10 ms ticks, so the N Reads' figures are coarse at N = 100 (a few ticks for the
floor) and meant for N = 1,000. Run with `python -m bench.provider_reads --sizes 100,1000`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.runtime.proto import provider_pb2

from bench.noop_provider import NoopStageProvider
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.outreach import OutreachService
from pulumi_stages.outreach.stage import OutreachStageProvider
from tests.engine import ROOT
from tests.provider_process import (
    ANSWER_TIMEOUT_SECONDS,
    TOKEN,
    ProviderProcess,
    Scenario,
    struct_of,
)

CONCURRENCY = 4
"""Reads in flight at once by default: the provider process serves four gRPC calls at a time."""
OWNER = "organization/stages-bench/bench"


@dataclass(frozen=True)
class Reads:
    """One process: CPU-seconds for its start (the interpreter, its imports, Configure and a
    first Read) and for the N Reads after it."""

    start: float
    reads: float


def _outreach(token: str) -> OutreachService:
    return OutreachService(token=token)


def sides() -> dict[str, Scenario]:
    """Our Outreach stage and the floor's no-op stage, both configured for the account `main`
    fills (the floor never calls it); a scenario's own emulator and inputs are not used here."""
    return {
        "ours": Scenario("outreach", _outreach, OutreachStageProvider, {}),
        "floor": Scenario("outreach", _outreach, NoopStageProvider, {}),
    }


def read_request(index: int, id_: int, pickled: str) -> provider_pb2.ReadRequest:
    """A stage of a stage set as state holds it after an up: its inputs and its outputs."""
    inputs: dict[str, Any] = {
        "name": f"Stage {index}",
        "ordered_by_set": True,
        "managed_by": OWNER,
        "resource_name": f"pipeline/outreach/Stage {index}",
        "order": (index + 1) * 10,
        "__provider": pickled,
    }
    outputs = {key: value for key, value in inputs.items() if key != "order"}
    outputs.update(stage_id=id_, created_at="2026-12-05T00:00:00.000Z")
    outputs["updated_at"] = outputs["created_at"]
    return provider_pb2.ReadRequest(
        id=str(id_),
        urn=f"urn:pulumi:bench::stages-bench::pulumi-python:dynamic:Resource::s{index}",
        properties=struct_of(outputs),
        inputs=struct_of(inputs),
    )


def floor_importable() -> None:
    """Put this checkout on the provider processes' path: the floor's process imports
    `bench.noop_provider`, by which its provider was pickled."""
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(ROOT) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), *paths) if p)


def measure(scenario: Scenario, base_url: str, ids: list[int], concurrency: int) -> Reads:
    """Start a process, Read the first stage, then every stage, `concurrency` at a time."""
    floor_importable()
    with tempfile.TemporaryDirectory() as tmp:
        process = ProviderProcess(scenario, base_url, Path(tmp))
        try:

            def read(index: int) -> None:
                request = read_request(index, ids[index], process.pickled)
                found = process.stub.Read(request, timeout=ANSWER_TIMEOUT_SECONDS)
                assert found.id == str(ids[index]), (index, found.id)  # it did find the stage

            read(0)
            started = process.cpu_seconds()
            with ThreadPoolExecutor(concurrency) as pool:
                list(pool.map(read, range(len(ids))))
            done = process.cpu_seconds()
        finally:
            process.stop()
    return Reads(started, done - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args()
    for n in (int(size) for size in args.sizes.split(",")):
        service = OutreachService(token=TOKEN)
        ids = [
            int(service.state.create({"name": f"Stage {i}", "order": (i + 1) * 10}).id)
            for i in range(n)
        ]
        with EmulatorServer(service) as emulator:
            found: dict[str, list[Reads]] = {side: [] for side in sides()}
            for run in range(args.runs):
                order = list(sides().items())
                for side, scenario in order if run % 2 == 0 else reversed(order):
                    found[side].append(measure(scenario, emulator.base_url, ids, args.concurrency))
        start = {side: statistics.median(r.start for r in runs) for side, runs in found.items()}
        reads = {side: statistics.median(r.reads for r in runs) for side, runs in found.items()}
        print(
            f"N={n:5}  start: ours {start['ours']:.2f} floor {start['floor']:.2f} CPU-s "
            f"({start['ours'] - start['floor']:+.2f})  |  {n} reads: ours {reads['ours']:.2f} "
            f"floor {reads['floor']:.2f} CPU-s ({reads['ours'] - reads['floor']:+.2f}; "
            f"{reads['ours'] / n * 1e6:.0f} / {reads['floor'] / n * 1e6:.0f} us a read, "
            f"ratio {reads['ours'] / max(reads['floor'], 0.01):.2f})  "
            f"[{args.concurrency} at a time; "
            f"{args.runs} runs, medians]",
            flush=True,
        )


if __name__ == "__main__":
    main()
