"""Benchmark: what the records guards cost when stages go, through the real engine.

Prints, per N: the API requests of a preview that removes N stages (their records counted in
batches where the API filters by several stages), of a destroy of N Outreach stages (a fresh
count before each delete: Outreach checks nothing itself), and of a destroy of a HubSpot
pipeline of N stages (HubSpot's validated delete is the check; the stages go with their
pipeline). Beside each, a baseline: for a preview one read per stage (what a guard that counts
stage by stage costs), for a destroy the deletes alone (the floor). Run with `make bench`;
requests do not vary by machine.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.emulator.outreach import OutreachService
from pulumi_stages.stageset import StageSet
from tests.engine import TOOLS_BIN, StackHarness

TOKEN = "bench-token"


def row(what: str, n: int, requests: dict[str, int], baseline: int) -> None:
    total = sum(requests.values())
    shown = ", ".join(f"{count} {key}" for key, count in sorted(requests.items()))
    print(
        f"{what:34} N={n:4}  requests={total:5}  baseline={baseline:4}  "
        f"ratio={total / baseline:5.2f}"
    )
    print(f"{'':34}         {shown}")


def outreach(n: int, home: Path) -> None:
    names = [f"Stage {i:04}" for i in range(n + 1)]
    with (
        EmulatorServer(OutreachService(token=TOKEN)) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        stack = StackHarness.create(Path(tmp), home, server, TOKEN)
        declare(stack, {"outreach": {"stages": [{"name": name} for name in names]}})
        stack.up()
        declare(stack, {"outreach": {"stages": [{"name": names[0]}]}})
        stack.preview()
        reads = {k: v for k, v in server.log.counts().items() if "prospects" in k}
        row("preview removing N stages", n, reads, n)
        stack.destroy()
        row("destroy of N+1 Outreach stages", n + 1, dict(server.log.counts()), n + 1)
        stack.remove()


def hubspot(n: int, home: Path) -> None:
    stages = [{"name": f"Stage {i:03}", "probability": 0.5} for i in range(n)]
    spec = {"hubspot": {"deals": [{"name": "Sales", "stages": stages}]}}
    with (
        EmulatorServer(HubSpotService(token=TOKEN)) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        stack = StackHarness.create(Path(tmp), home, server, TOKEN, namespace="hubspot")
        declare(stack, spec)
        stack.up()
        stack.destroy()
        row("destroy of a HubSpot pipeline", n, dict(server.log.counts()), 1)
        stack.remove()


def declare(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("bench", spec) and None


def main() -> None:
    os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory() as home:
        for n in (100, 500):
            outreach(n, Path(home))
        hubspot(100, Path(home))


if __name__ == "__main__":
    main()
