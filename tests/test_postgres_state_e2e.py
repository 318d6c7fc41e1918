"""Shared state on a real PostgreSQL through plain `pulumi` commands: the promotion walkthrough
with its three stacks, two `up` of one stack at once (the lock refuses one), and two stacks at once.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_stages.emulator import EmulatorServer, OutreachService
from pulumi_stages.emulator.faults import Fault, FaultKind
from tests.engine import ROOT, TOOLS_BIN, PulumiCli
from tests.postgres import PostgresCluster
from tests.test_examples_e2e import load_walkthrough, writes

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "outreach"
CREATES = {"POST /api/v2/stages": 5, "GET /api/v2/stages": 1}
"""What the Outreach example's first `up` sends (5 stages created, one order listing)."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    started = PostgresCluster.start()
    yield started
    started.stop()


def backend_for(cluster: PostgresCluster, name: str) -> str:
    """A `pulumi login` URL for one test: its own table in the shared database."""
    return f"{cluster.url}&table={name}"


def on_postgres(pulumi: PulumiCli, url: str) -> PulumiCli:
    pulumi.env["PULUMI_BACKEND_URL"] = url
    return pulumi


def start_up(pulumi: PulumiCli, stack: str) -> subprocess.Popen[str]:
    """Begin `pulumi up --yes` on a stack without waiting for it."""
    return subprocess.Popen(
        pulumi.command("up", "--yes", "--skip-preview", "--stack", stack),
        env=pulumi.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_post_held() -> Fault:
    """The first stage creation waits 8 s before it is served: the `up` that sends it holds its
    stack's lock that long after its first request, whatever the machine's load."""
    return Fault(FaultKind.LATENCY, count=1, method="POST", path="/api/v2/stages", delay=8.0)


def posted(emulator: EmulatorServer) -> bool:
    """Whether a stage creation reached the emulator (it is logged before its latency)."""
    return emulator.log.counts().get("POST /api/v2/stages", 0) > 0


def locks(cluster: PostgresCluster, table: str) -> list[str]:
    """The lock keys held now in one test's table."""
    keys = cluster.psql("pulumi", f"SELECT key FROM {table}").splitlines()
    return [key for key in keys if "/.pulumi/locks/" in key]


def wait_until(condition: object, what: str, timeout: float = 120.0) -> None:
    """Poll a condition (a callable) until true; fail naming it after `timeout` seconds."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_promotion_walkthrough_keeps_three_stacks_in_postgres(
    tmp_path: Path, pulumi_home: Path, cluster: PostgresCluster
) -> None:
    """`make promotion`'s walkthrough with its state in PostgreSQL: every step's requests (the
    one run of it in the suite: its file backend differs by the backend URL only), and the three
    stacks in the database, none on files, no lock left."""
    env = {
        **os.environ,
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}",
        "PULUMI_HOME": str(pulumi_home),
    }
    lines: list[str] = []
    url = backend_for(cluster, "promotion")
    run = load_walkthrough().walkthrough(tmp_path, env, lines.append, backend_url=url)
    print("\n".join(lines[lines.index("\n### API requests per step") :]))
    steps = run.steps

    # staging starts empty: every stage is created once; the preview wrote nothing
    assert writes(steps["staging preview"]["outreach"]) == {}
    assert writes(steps["staging preview"]["capsule"]) == {}
    assert writes(steps["staging up"]["outreach"]) == {"POST /api/v2/stages": 6}
    assert writes(steps["staging up"]["capsule"]) == {
        "POST /api/v2/boards": 1,
        "POST /api/v2/stages": 4,
    }
    # prod starts with three hand-made stages that differ: adopted, only differences sent
    prod = run.outputs["prod preview"]
    assert "existing stage 1; differs in color '#ff0000' => '#5951ff'" in prod
    assert "existing board 1; no differences" in prod
    assert writes(steps["prod up"]["outreach"]) == {
        "POST /api/v2/stages": 4,
        "PATCH /api/v2/stages/{id}": 3,  # two colours, and Qualified moved from order 2
    }
    assert writes(steps["prod up"]["capsule"]) == {
        "POST /api/v2/stages": 3,
        "PUT /api/v2/stages/{id}": 1,
    }
    # round two: dev changed three stages; staging's preview lists exactly those
    preview = run.outputs["staging preview 2"]
    assert '"#00a3e0" => "#1abc9c"' in preview
    assert '[3]: "Proposal" => "Negotiation"' in preview
    assert '"Review" => "Client Review"' in preview
    assert "4 to update" in preview
    assert writes(steps["staging up 2"]["outreach"]) == {"PATCH /api/v2/stages/{id}": 2}
    assert writes(steps["staging up 2"]["capsule"]) == {"PUT /api/v2/stages/{id}": 1}
    assert any(line.startswith("staging up 2") for line in lines)

    keys = cluster.psql("pulumi", "SELECT key FROM promotion ORDER BY key").splitlines()
    stacks = [k.rsplit("/", 1)[-1] for k in keys if "/.pulumi/stacks/" in k and k.endswith(".json")]
    assert sorted(stacks) == ["dev.json", "prod.json", "staging.json"], keys
    assert not list((tmp_path / "state").iterdir())  # nothing went to the file backend
    assert not any("/.pulumi/locks/" in k for k in keys)


def test_two_ups_of_one_stack_at_once_the_lock_refuses_the_second(
    tmp_path: Path,
    pulumi_home: Path,
    cluster: PostgresCluster,
    outreach: EmulatorServer,
    token: str,
) -> None:
    url = backend_for(cluster, "same_stack")
    pulumi = on_postgres(PulumiCli(tmp_path, pulumi_home, EXAMPLE), url)
    pulumi.init_stack("dev", outreach, token)
    outreach.faults.add(first_post_held())
    outreach.log.reset()

    first = start_up(pulumi, "dev")
    wait_until(lambda: posted(outreach), "the first up's first POST (held for 8 s)")
    assert len(locks(cluster, "same_stack")) == 1  # taken before the program ran
    second = pulumi.run("up", "--yes", "--skip-preview", "--stack", "dev")
    out, err = first.communicate(timeout=300)

    print(f"second up (exit {second.returncode}):\n{second.stderr.strip()}")
    print(f"first up (exit {first.returncode}), requests: {dict(outreach.log.counts())}")
    assert first.returncode == 0, out + err
    assert second.returncode != 0
    assert "the stack is currently locked by 1 lock(s)" in second.stderr
    assert "pulumi cancel" in second.stderr
    assert outreach.log.counts() == CREATES  # the refused up sent nothing
    state = outreach.service.state  # type: ignore[attr-defined]
    assert sorted(s.name for s in state.listing()) == sorted(
        ["New", "Contacted", "Meeting Booked", "Open Opportunity", "Customer"]
    )
    outreach.log.reset()
    pulumi("preview", "--expect-no-changes", "--stack", "dev")
    assert outreach.log.writes() == []
    assert locks(cluster, "same_stack") == []


def test_two_stacks_at_once_both_succeed(
    tmp_path: Path, pulumi_home: Path, cluster: PostgresCluster, token: str
) -> None:
    url = backend_for(cluster, "two_stacks")
    pulumi = on_postgres(PulumiCli(tmp_path, pulumi_home, EXAMPLE), url)
    with (
        EmulatorServer(OutreachService(token=token)) as dev,
        EmulatorServer(OutreachService(token=token)) as staging,
    ):
        for name, emulator in (("dev", dev), ("staging", staging)):
            pulumi.init_stack(name, emulator, token)
            emulator.faults.add(first_post_held())
            emulator.log.reset()
        runs = {"dev": start_up(pulumi, "dev"), "staging": start_up(pulumi, "staging")}
        wait_until(lambda: posted(dev) and posted(staging), "both ups' first POST")
        # both first POSTs are held for 8 s, so both ups hold their locks now
        wait_until(lambda: len(locks(cluster, "two_stacks")) == 2, "both locks at once", 8.0)
        done = {name: run.communicate(timeout=300) for name, run in runs.items()}

        for name, emulator in (("dev", dev), ("staging", staging)):
            print(f"{name} up (exit {runs[name].returncode}): {dict(emulator.log.counts())}")
            assert runs[name].returncode == 0, done[name]
            assert "8 created" in done[name][0]  # the stack, the set, 5 stages, the order
            assert emulator.log.counts() == CREATES
        assert locks(cluster, "two_stacks") == []
