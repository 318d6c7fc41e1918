"""Fixtures: the toolchain on PATH, Outreach emulators on loopback, stacks run by the engine."""

from __future__ import annotations

import compileall
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_stages.emulator import CapsuleService, EmulatorServer, OutreachService
from tests import processes, vault
from tests.engine import GO_COLLECTOR, ROOT, TOOLS_BIN, Pipeline, StackHarness, four_stages

PACKAGE = Path(__file__).resolve().parent.parent / "provider" / "pulumi_stages"

SETTLE_SECONDS = 5.0
"""How long processes of a finished test may take to exit before they count as left behind."""


def pytest_configure(config: pytest.Config) -> None:
    """Name this run in the environment every process it starts inherits (xdist workers keep
    the controller's name; a name exported in a shell is never shared by two runs)."""
    if not hasattr(config, "workerinput"):
        os.environ[processes.RUN_KEY] = secrets.token_hex(8)
        compile_package()


def compile_package() -> None:
    """Write the package's bytecode before the run. The provider, program and package-provider
    processes the suite starts (about a thousand) each import it, and where nothing writes
    bytecode on import (PYTHONDONTWRITEBYTECODE, as on this machine) each compiled some 60 of
    its modules from source, about 0.1 CPU-s a start. Up-to-date files are skipped; a stale
    `.pyc` is never used (import checks its source's mtime)."""
    compileall.compile_dir(PACKAGE, quiet=1)


LONG_FIRST = (
    "test_fault_matrix_e2e.py",  # 167 s (seconds of one worker, 3 workers on 2 cores)
    "test_invalid_declarations.py",  # 140 s
    "test_random_sequences_e2e.py",  # 137 s
    "test_wheel_newest_sdk_e2e.py",  # 120 s
    "test_postgres_state_e2e.py",  # 71 s
    "test_package_yaml_e2e.py",  # 62 s
    "test_hubspot_stageset_e2e.py",  # 51 s
    "test_drift_real_account_e2e.py",  # 50 s
    "test_hubspot_sequences_e2e.py",  # 48 s
    "test_capsule_stage_e2e.py",  # 48 s
    "test_runner_recovery_e2e.py",  # 44 s
    "test_sdks.py",  # 41 s
    "test_ci_scripts_e2e.py",  # 39 s
)
"""The longest files, longest first (`pytest --durations=0`, summed per file): started first,
so that under `pytest -n <cores + 1> --dist loadfile` no worker starts one while the others
have nothing left to run. xdist would put files with more tests first instead, which started
the longest file, with two tests, last; pyproject's `--no-loadscope-reorder` keeps this order."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long files first, longest first; every other test keeps its order (a stable
    sort)."""
    rank = {name: place for place, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FIRST)))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite leaves no process behind: after the last test (and, under xdist, in the
    controller once every worker is gone), any engine, plugin, language host or PostgreSQL
    process this run started that still runs is listed, killed, and fails the run."""
    if hasattr(session.config, "workerinput"):
        return  # a worker; the controller checks for all
    run = os.environ[processes.RUN_KEY]
    left = processes.leftovers(run)
    deadline = time.monotonic() + SETTLE_SECONDS
    while left and time.monotonic() < deadline:
        time.sleep(0.25)
        left = processes.leftovers(run)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if not left:
        if reporter is not None:
            reporter.write_line("leftover-process check: no process left behind")
        return
    processes.kill_all(left)
    if reporter is not None:
        reporter.write_line(f"leftover-process check: {len(left)} process(es) left behind:")
        for process in left:
            reporter.write_line(f"  pid {process.pid}: {process.command[:160]}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def toolchain_on_path() -> None:
    """Put the project's pulumi CLI and plugins first on PATH; fail, never skip, if missing."""
    if not (TOOLS_BIN / "pulumi").exists():
        pytest.fail("the pulumi CLI is not built: run `make setup` (make test does it)")
    os.environ["PATH"] = f"{TOOLS_BIN}{os.pathsep}{os.environ['PATH']}"
    os.environ["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    for name, value in GO_COLLECTOR.items():
        os.environ.setdefault(name, value)
    for name in (
        "OUTREACH_ACCESS_TOKEN",
        "OUTREACH_BASE_URL",
        "PULUMI_BACKEND_URL",  # the provider's memory is found from these: never the user's own
        "PULUMI_STAGES_MEMORY",
        "PULUMI_CREDENTIALS_PATH",
        # tests read checkpoints from backend folders in the default layout (tests/snapshot.py)
        *(
            f"PULUMI_{prefix}_{form}"
            for prefix in ("DIY_BACKEND", "SELF_MANAGED_STATE")
            for form in ("GZIP", "ZSTD", "LEGACY_LAYOUT")
        ),
    ):
        os.environ.pop(name, None)


@pytest.fixture(scope="session", autouse=True)
def secrets_keeper() -> Iterator[None]:
    """The Vault transit stand-in the suite's stacks keep their data key with (tests/vault.py):
    a passphrase stack pays 0.2 CPU-s of key derivation in every CLI command."""
    with vault.transit_server():
        yield


FORKSERVER_ENV = "PULUMI_STAGES_FORKSERVER"
COLD_ENV = "STAGES_COLD_STARTS"
"""Set to 1, every plugin and language host starts as a fresh interpreter (no fork server)."""


@pytest.fixture(scope="session", autouse=True)
def forkserver(toolchain_on_path: None) -> Iterator[None]:
    """One fork server per worker (tools/forkserver.py): the language hosts and dynamic
    providers the CLI starts fork from a process that has imported the Pulumi SDK and gRPC,
    instead of importing them again, 2-3 times per command. The project's own code still
    imports fresh in each; STAGES_COLD_STARTS=1 turns it off."""
    if os.environ.get(COLD_ENV) == "1":
        os.environ.pop(FORKSERVER_ENV, None)
        yield
        return
    folder = tempfile.mkdtemp(prefix="stages-fork-")
    path = os.path.join(folder, "socket")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "forkserver.py"), "serve", path],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    if server.stdout.readline().strip() != "ready":
        server.kill()
        pytest.fail("the fork server (tools/forkserver.py) did not start")
    os.environ[FORKSERVER_ENV] = path
    try:
        yield
    finally:
        os.environ.pop(FORKSERVER_ENV, None)
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
        with contextlib.suppress(OSError):
            os.remove(path)
            os.rmdir(folder)


@pytest.fixture(scope="session")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One PULUMI_HOME for the session, apart from the user's own."""
    return tmp_path_factory.mktemp("pulumi-home")


@pytest.fixture
def token() -> str:
    """A fresh access token per test, so a leak is traceable to its test."""
    return f"tok-{secrets.token_hex(12)}"


@pytest.fixture
def outreach(token: str) -> Iterator[EmulatorServer]:
    """An empty Outreach emulator on a free loopback port, accepting `token`."""
    with EmulatorServer(OutreachService(token=token)) as server:
        yield server


@pytest.fixture
def stack(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> Iterator[StackHarness]:
    """A stack on a local file backend whose provider talks to the `outreach` emulator."""
    harness = StackHarness.create(tmp_path, pulumi_home, outreach, token)
    yield harness
    harness.remove()


@pytest.fixture
def capsule(token: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(CapsuleService(token=token)) as server:
        yield server


@pytest.fixture
def pipeline_stack(
    tmp_path: Path, pulumi_home: Path, capsule: EmulatorServer, token: str
) -> Iterator[tuple[StackHarness, Pipeline]]:
    harness = StackHarness.create(tmp_path, pulumi_home, capsule, token, namespace="capsule")
    pipeline = Pipeline(stages=four_stages())
    harness.program = pipeline.program
    yield harness, pipeline
    harness.remove()
