"""One Outreach refresh chain used by jobs on different runners: the rotated token lives sealed
beside the state backend, so two runners refreshing at once spend one grant between them, the
next job on a fresh runner continues the chain, and no token shows in state, logs or output."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_stages.core.memory import PostgresStore
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.emulator.outreach import OutreachOAuth
from tests.runners import BACKENDS, Runner, shared_backend
from tests.s3 import objects
from tests.test_oauth import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI
from tests.test_oauth_safety import CHILD, REPO
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e

PROJECT = REPO / "tests" / "projects" / "interrupted"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The state backend the runners share."""
    with shared_backend(request.param, tmp_path / "shared-state", "chain") as url:
        yield url


@pytest.fixture
def oauth(outreach: EmulatorServer) -> OutreachOAuth:
    oauth: OutreachOAuth = outreach.service.oauth  # type: ignore[attr-defined]
    oauth.grant_interval = 0.0
    return oauth


def chain_env(runner: Runner, outreach: EmulatorServer, refresh: str) -> dict[str, str]:
    """A job's environment: the chain's credentials (as CI secrets) and an unknown access
    token, so the first call is refused and the job must refresh."""
    return {
        **runner.env,
        "OUTREACH_BASE_URL": outreach.base_url,
        "OUTREACH_ACCESS_TOKEN": "at-expired",
        "OUTREACH_REFRESH_TOKEN": refresh,
        "OUTREACH_CLIENT_ID": CLIENT_ID,
        "OUTREACH_CLIENT_SECRET": CLIENT_SECRET,
        "OUTREACH_REDIRECT_URI": REDIRECT_URI,
    }


def run_jobs(runners: list[Runner], outreach: EmulatorServer, refresh: str, id_: str) -> list[str]:
    """One provider-like process per runner, started together; what each printed."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, id_],
            cwd=runner.project,
            env=chain_env(runner, outreach, refresh),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for runner in runners
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.communicate(timeout=30)
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert [child.returncode for child in children] == [0] * len(children), results
    return [out + err for out, err in results]


def backend_dump(backend: str, tmp_path: Path) -> Path:
    """Everything the backend holds, as files to grep (its folder, or its tables or bucket
    dumped)."""
    if backend.startswith("file://"):
        return Path(backend[len("file://") :])
    dump = tmp_path / "backend-dump.txt"
    if backend.startswith("s3://"):
        dump.write_bytes(b"\n".join(k.encode() + b"\t" + v for k, v in objects(backend).items()))
        return dump
    store = PostgresStore(backend)
    rows = store.run("SELECT key, encode(data, 'escape') FROM pulumi_stages_memory")
    rows += store.run("SELECT log, line FROM pulumi_stages_log")
    dump.write_text("\n".join(f"{a}\t{b}" for a, b in rows))
    return dump


def test_two_runners_refreshing_one_chain_make_one_grant_and_leak_no_token(
    tmp_path: Path, outreach: EmulatorServer, oauth: OutreachOAuth, backend: str
) -> None:
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    stage = outreach.service.state.create({"name": "Lead"})  # type: ignore[attr-defined]
    known_before = set(oauth.tokens) | set(oauth.grants)
    issued: set[str] = set()
    # A slow token endpoint: without one lock shared through the backend, both runners would
    # send the same refresh token inside this window and one would get invalid_grant.
    outreach.faults.add(Fault(FaultKind.LATENCY, delay=0.5, path="/oauth/token"))
    runners = [Runner(tmp_path, f"runner-{n}", PROJECT, backend) for n in (1, 2)]
    outputs = run_jobs(runners, outreach, refresh, str(stage.id))
    grants = outreach.log.counts()["POST /oauth/token"]
    issued |= set(oauth.tokens) | set(oauth.grants)
    print(f"\n[{backend.split(':', 1)[0]}] two runners at once: {grants} grant; {outputs}")
    assert [o.strip() for o in outputs] == ["read Lead", "read Lead"]
    assert grants == 1

    # The next job, on a third fresh runner, after the minted access token expired: it
    # continues from the rotated refresh token kept beside the backend (the configured one is
    # spent), through the real engine.
    for access in list(oauth.tokens):
        oauth.revoke_access_token(access)
    third = Runner(tmp_path, "runner-3", PROJECT, backend)
    third.env.update(chain_env(third, outreach, refresh))
    third.env["INTERRUPTED_ADOPT"] = "true"
    third("stack", "init", "chain", "--secrets-provider", SECRETS_PROVIDER)
    outreach.log.reset()
    third("up", "--yes", "--skip-preview")
    issued |= set(oauth.tokens) | set(oauth.grants)
    print(f"third runner's up: {dict(sorted(outreach.log.counts().items()))}")
    assert outreach.log.counts()["POST /oauth/token"] == 1
    assert refresh not in oauth.grants  # the configured token was spent by the first grant

    state = third("stack", "export", "--show-secrets")
    texts = {"state (--show-secrets)": state, "output": "".join(third.transcript + outputs)}
    for runner in runners:
        texts["output"] += "".join(runner.transcript)
    issued -= known_before
    leaks = {name: [t for t in issued if t in text] for name, text in texts.items()}
    places = [str(r.root) for r in (*runners, third)] + [str(backend_dump(backend, tmp_path))]
    grep = subprocess.run(
        ["grep", "-rlF", *(arg for t in sorted(issued) for arg in ("-e", t)), *places],
        capture_output=True,
        text=True,
        check=False,
    )
    print(
        f"tokens granted by the two grants: {len(issued)}; in state or output: {leaks}; "
        f"`grep -rlF <each granted token> <3 runners' HOME, caches, PULUMI_HOME, checkouts> "
        f"<backend>`: exit {grep.returncode}, files {grep.stdout.split()}"
    )
    assert leaks == {"state (--show-secrets)": [], "output": []}
    assert grep.returncode == 1, grep.stdout  # grep found nothing
    assert os.path.exists(places[-1])
