"""Fixtures: the toolchain on PATH, Outreach emulators on loopback, stacks run by the engine."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_stages.emulator import CapsuleService, EmulatorServer, OutreachService
from tests import processes
from tests.engine import TOOLS_BIN, Pipeline, StackHarness, four_stages

SETTLE_SECONDS = 5.0
"""How long processes of a finished test may take to exit before they count as left behind."""


def pytest_configure(config: pytest.Config) -> None:
    """Name this run in the environment every process it starts inherits (xdist workers keep
    the controller's name; a name exported in a shell is never shared by two runs)."""
    if not hasattr(config, "workerinput"):
        os.environ[processes.RUN_KEY] = secrets.token_hex(8)


LONG_FIRST = (
    "test_random_sequences_e2e.py",
    "test_wheel_newest_sdk_e2e.py",
    "test_hubspot_sequences_e2e.py",
    "test_sdks.py",
    "test_postgres_state_e2e.py",
    "test_package_yaml_e2e.py",
    "test_examples_e2e.py",
    "test_ci_scripts_e2e.py",
)
"""Files whose tests take a minute or more: started first, so that under `pytest -n 2` no
worker starts one while the other has nothing left to run (the run's tail)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long files first; every other test keeps its order (a stable sort)."""
    items.sort(key=lambda item: item.path.name not in LONG_FIRST)


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
    for name in (
        "OUTREACH_ACCESS_TOKEN",
        "OUTREACH_BASE_URL",
        "PULUMI_BACKEND_URL",  # the provider's memory is found from these: never the user's own
        "PULUMI_STAGES_MEMORY",
        "PULUMI_CREDENTIALS_PATH",
    ):
        os.environ.pop(name, None)


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
