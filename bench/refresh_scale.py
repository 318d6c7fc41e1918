"""Benchmark: `pulumi refresh` of N Outreach stages through the real engine.

Prints, per N: API requests made by refresh, the one-GET-per-stage baseline, their ratio, and
wall time of `up` and `refresh`; plus the raw HTTP cost of N single GETs against one listing.
Run with `make bench` (numbers vary by machine; requests do not).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from pulumi_stages.core.http import ApiClient, Endpoint
from pulumi_stages.emulator import EmulatorServer, OutreachService
from pulumi_stages.outreach.api import OutreachDialect, OutreachStages
from tests.engine import TOOLS_BIN, Declared, StackHarness

TOKEN = "bench-token"


def engine_refresh(n: int, home: Path) -> None:
    with (
        EmulatorServer(OutreachService(token=TOKEN)) as emulator,
        tempfile.TemporaryDirectory() as tmp,
    ):
        stack = StackHarness.create(Path(tmp), home, emulator, TOKEN)
        stack.declared = [Declared(f"s{i}", f"Stage {i}", None, i) for i in range(n)]
        started = time.perf_counter()
        stack.up()
        up_seconds = time.perf_counter() - started
        started = time.perf_counter()
        stack.refresh()
        refresh_seconds = time.perf_counter() - started
        requests = emulator.log.count()
        print(
            f"engine refresh  N={n:4}  requests={requests:4}  baseline={n:4}  "
            f"ratio={requests / n:5.3f}  up={up_seconds:5.1f}s  refresh={refresh_seconds:5.1f}s"
        )
        stack.remove()


def http_reads(n: int) -> None:
    with EmulatorServer(OutreachService(token=TOKEN)) as emulator:
        ids = [emulator.service.state.create({"name": f"S{i}"}).id for i in range(n)]
        client = ApiClient(Endpoint("Outreach", emulator.base_url, TOKEN), OutreachDialect())
        api = OutreachStages(client)
        started = time.perf_counter()
        for id_ in ids:
            api.read(str(id_))
        single = time.perf_counter() - started
        started = time.perf_counter()
        listed = list(api.list_all())
        listing = time.perf_counter() - started
        assert len(listed) == n
        print(
            f"http reads      N={n:4}  single GETs={single * 1000:7.1f}ms  "
            f"listing={listing * 1000:6.1f}ms  speed-up={single / listing:5.1f}x"
        )
        client.close()


def main() -> None:
    """Run every measurement and print one line each."""
    os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
    with tempfile.TemporaryDirectory() as home:
        for n in (10, 50, 200):
            engine_refresh(n, Path(home))
    for n in (50, 200, 1000):
        http_reads(n)


if __name__ == "__main__":
    main()
