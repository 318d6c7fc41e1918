"""A `pulumi up` killed mid-apply, then `cancel`, `refresh` and `up`: converges, no duplicate.

Stages the dead run created but never recorded are pending creates in state. `refresh
--clear-pending-creates` drops them (the engine cannot import dynamic resources), and the next
`up` takes them over instead of creating them again: through `adopt=True`, or without it through
the stack's create journal (the preview shows `recovers` on each). The creates in flight at the
kill land before the next run looks, as they do long before a team reruns a lost job: the API
finishes a request whose client died.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from tests import new_stack
from tests.engine import PulumiCli
from tests.processes import kill_tree
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).parent / "projects" / "interrupted"
STAGES = 10
LATENCY = 1.0
"""How long each POST is held before the emulator commits it: the window the kill lands in."""
SETTLE = 0.3


def stages_held(emulator: EmulatorServer) -> int:
    """How many stages the emulator's account holds now."""
    return len(emulator.service.state.listing())  # type: ignore[attr-defined]


def wait_for_creates_in_flight(emulator: EmulatorServer, at_least: int, timeout: float) -> int:
    """Poll the emulator (the test's own process) until at least `at_least` stages exist and
    more POSTs have arrived than stages exist: creates are in flight, held by the latency
    fault, so the run dies while it waits on the API (not while the engine writes its
    checkpoint, which a kill can truncate). Returns the stages made so far."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = stages_held(emulator)
        if held >= at_least and emulator.log.count("POST") > held:
            time.sleep(SETTLE)  # the engine records the steps it began before it waits
            return held
        time.sleep(0.02)
    raise AssertionError(f"no creates in flight with {at_least}+ stages after {timeout}s")


STAGE_CREATE = "POST /api/v2/stages"


def stage_creates(emulator: EmulatorServer) -> int:
    """The stage creates the emulator received and served (a fault's refusal made nothing)."""
    return sum(1 for e in emulator.log.entries() if e.key == STAGE_CREATE and e.served)


def wait_for_landed(emulator: EmulatorServer, timeout: float) -> int:
    """Poll until every stage create the emulator received has made its stage (those the
    latency fault held when the run died land up to LATENCY later); the stages then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held, sent = stages_held(emulator), stage_creates(emulator)
        if held == sent:
            return held
        time.sleep(0.02)
    raise AssertionError(
        f"of {sent} stage creates the dead run sent, {held} made a stage within {timeout}s"
    )


@pytest.mark.parametrize("adopt", [True, False], ids=["with-adopt", "without-adopt"])
def test_killed_up_then_refresh_and_up_converges_without_duplicates(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str, adopt: bool
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, PROJECT)
    pulumi.env["INTERRUPTED_ADOPT"] = "true" if adopt else "false"
    pulumi.env["PULUMI_STAGES_TOKEN_CACHE"] = str(tmp_path / "tokens")
    pulumi("stack", "init", "crash", "--secrets-provider", SECRETS_PROVIDER)
    new_stack.set_config(
        pulumi.stack_settings("crash"),
        {"outreach:baseUrl": outreach.base_url},
        {"outreach:accessToken": token},
    )
    outreach.faults.add(Fault(FaultKind.LATENCY, count=STAGES, delay=LATENCY, method="POST"))

    running = subprocess.Popen(
        pulumi.command("up", "--yes", "--skip-preview"),
        env=pulumi.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    made_before_kill = wait_for_creates_in_flight(outreach, 3, timeout=60)
    killed = kill_tree(running.pid)
    at_kill = stages_held(outreach)
    running.wait(timeout=10)
    assert len(killed) > 1, "the CLI ran with no plugin: no kill of a running up happened"
    outreach.faults.clear()
    assert made_before_kill < STAGES, "the run finished before it could be interrupted"
    landed = wait_for_landed(outreach, timeout=30)  # before the next run looks, not during it
    assert landed > at_kill, "no create was in flight at the kill"

    pulumi("cancel", "--yes")  # the dead run's lock, as its error message tells the user
    pulumi("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
    outreach.log.reset()
    pulumi("up", "--yes", "--skip-preview")

    names = sorted(s.name for s in outreach.service.state.listing())  # type: ignore[attr-defined]
    assert names == sorted(f"Stage {i}" for i in range(STAGES)), "duplicate or missing stage"
    posts = stage_creates(outreach)
    print(
        f"\ninterrupted up (adopt={adopt}): {at_kill} stages at the kill, {landed} after its "
        f"creates in flight landed; {posts} stage creates after, "
        f"{outreach.log.count()} requests after"
    )
    assert posts == STAGES - landed  # every stage the dead run made taken over, none made again
    pulumi("preview", "--expect-no-changes")
