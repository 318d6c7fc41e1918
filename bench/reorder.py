"""Benchmark: writes made by a stage set's ordering resource against a naive renumbering.

For N stages created at 10, 20, 30..., each scenario reorders the declared list and runs the
ordering provider's update against the Outreach emulator. Prints writes, the writes a naive
renumbering (position * 10 for every stage) would make, their ratio, and wall time; the last
line adds 50 ms to every write to show the writes overlapping.
Run with `make bench` (times vary by machine; write counts do not, for a given seed).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

from pulumi_stages.emulator import EmulatorServer, OutreachService
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.outreach.stage import OutreachStageOrderProvider

TOKEN = "bench-token"
Scenario = Callable[[list[str], random.Random], list[str]]


def move(k: int) -> Scenario:
    def scenario(ids: list[str], rng: random.Random) -> list[str]:
        ids = list(ids)
        for _ in range(k):
            ids.insert(rng.randrange(len(ids)), ids.pop(rng.randrange(len(ids))))
        return ids

    return scenario


def reverse(ids: list[str], _rng: random.Random) -> list[str]:
    return ids[::-1]


def shuffle(ids: list[str], rng: random.Random) -> list[str]:
    ids = list(ids)
    rng.shuffle(ids)
    return ids


SCENARIOS: dict[str, Scenario] = {
    "move 1": move(1),
    "move 5": move(5),
    "reverse": reverse,
    "shuffle": shuffle,
}


def naive_writes(order: list[str], positions: dict[str, int]) -> int:
    return sum(1 for i, id_ in enumerate(order) if positions[id_] != (i + 1) * 10)


def run(n: int, name: str, scenario: Scenario, latency: float = 0.0) -> None:
    with EmulatorServer(OutreachService(token=TOKEN)) as emulator:
        if latency:
            emulator.faults.add(Fault(FaultKind.LATENCY, count=n, delay=latency, method="PATCH"))
        state = emulator.service.state  # type: ignore[attr-defined]
        ids = [str(state.create({"name": f"S{i}", "order": (i + 1) * 10}).id) for i in range(n)]
        os.environ["OUTREACH_BASE_URL"], os.environ["OUTREACH_ACCESS_TOKEN"] = (
            emulator.base_url,
            TOKEN,
        )
        order = scenario(ids, random.Random(n))
        positions = {str(s.id): s.order for s in state.listing()}
        emulator.log.reset()
        started = time.perf_counter()
        inputs = {"sequence": order, "stages": {id_: id_ for id_ in order}}
        OutreachStageOrderProvider().update("x", {}, inputs)
        seconds = time.perf_counter() - started
        writes = len(emulator.log.writes())
        naive = naive_writes(order, positions)
        live = sorted(state.listing(), key=lambda s: s.order)
        assert [str(s.id) for s in live] == order, "the account is not in the declared order"
        print(
            f"N={n:5}  {name:<8} latency={latency * 1000:3.0f}ms  "
            f"writes={writes:5}  naive={naive:5}  ratio={writes / max(naive, 1):5.2f}  "
            f"reads={emulator.log.count('GET'):3}  "
            f"time={seconds * 1000:7.1f}ms"
        )


def main() -> None:
    """Every scenario at three sizes, one line each."""
    for n in (50, 200, 1000):
        for name, scenario in SCENARIOS.items():
            run(n, name, scenario)
    run(200, "reverse", reverse, latency=0.05)  # WRITERS moves in flight: ~N * 50 ms / 4


if __name__ == "__main__":
    main()
