"""A `pulumi up` killed mid-apply, then `cancel`, `refresh` and `up`: converges, no duplicate.

Stages the dead run created but never recorded are pending creates in state. `refresh
--clear-pending-creates` drops them (the engine cannot import dynamic resources), and the next
`up` takes them over through `adopt=True` instead of creating them again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from tests.engine import PulumiCli

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).parent / "projects" / "interrupted"
STAGES = 10


def wait_for_stages(emulator: EmulatorServer, at_least: int, timeout: float) -> int:
    """Poll the emulator's state (the test's own process) until enough stages exist."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = len(emulator.service.state.listing())  # type: ignore[attr-defined]
        if held >= at_least:
            return held
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} stages after {timeout}s")


def test_killed_up_then_refresh_and_up_converges_without_duplicates(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, PROJECT)
    pulumi.init_stack("crash", outreach, token)
    outreach.faults.add(Fault(FaultKind.LATENCY, count=STAGES, delay=0.4, method="POST"))

    running = subprocess.Popen(
        pulumi.command("up", "--yes", "--skip-preview"),
        env=pulumi.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    made_before_kill = wait_for_stages(outreach, 3, timeout=60)
    os.killpg(running.pid, signal.SIGKILL)
    running.wait(timeout=10)
    outreach.faults.clear()
    assert made_before_kill < STAGES, "the run finished before it could be interrupted"

    pulumi("cancel", "--yes")  # the dead run's lock, as its error message tells the user
    pulumi("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    outreach.log.reset()
    pulumi("up", "--yes", "--skip-preview")

    names = sorted(s.name for s in outreach.service.state.listing())  # type: ignore[attr-defined]
    assert names == sorted(f"Stage {i}" for i in range(STAGES)), "duplicate or missing stage"
    posts = outreach.log.count("POST")
    print(f"\ninterrupted up: {made_before_kill}+ stages made before the kill, {posts} POSTs after")
    assert posts <= STAGES - made_before_kill
    pulumi("preview", "--expect-no-changes")
