"""One fault matrix over every registered adapter, through the real engine.

Each cell starts from a stage set of three stages, injects one fault, runs one operation (add a
stage, rename one, remove one, refresh) and then checks that the run converged: the fault was
hit, the account holds exactly the declared stages (no duplicate, none lost), the ids in state
are the account's ids, and the next preview plans nothing. Every adapter the registry finds (a
folder under `pulumi_stages/`) gets the matrix: its `example` section is all the matrix needs.

The three stages are made once per adapter (per test process) by a real `up`, checked, and
saved with the stack; each cell restores that stack and a fresh emulator holding that account,
so it starts exactly where its own emulator, stack and `up` would have left it, and no cell can
leave anything behind for the next.
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages import emulator as emulators
from pulumi_stages.core import registry
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.snapshot import Snapshot, file_backend_deployment

pytestmark = pytest.mark.e2e

ADAPTERS = sorted(registry.adapters())

FAULTS: dict[str, Callable[[str | None], Fault]] = {
    "500x2": lambda method: Fault(FaultKind.STATUS, count=2, status=500, method=method),
    "503 retry-after": lambda method: Fault(
        FaultKind.STATUS, status=503, retry_after=1, method=method
    ),
    "429x2": lambda method: Fault(FaultKind.STATUS, count=2, status=429, method=method),
    "drop": lambda method: Fault(FaultKind.DROP, method=method),
    "commit-then-drop": lambda method: Fault(FaultKind.COMMIT_THEN_DROP, method=method),
}


class SetStack:
    """A stack whose program is one stage set of `stages` in one adapter."""

    def __init__(self, harness: StackHarness, adapter: str) -> None:
        self.harness = harness
        self.adapter = registry.adapter(adapter)
        self.stages: list[dict[str, str]] = [
            {"key": f"s{i}", "name": name} for i, name in enumerate(["Lead", "Demo", "Won"])
        ]
        harness.program = self.program

    def program(self) -> None:
        StageSet("pipeline", {self.adapter.name: self.adapter.example(self.stages)})

    def state_ids(self) -> dict[str, str]:
        """Stage name -> id, as the state holds the set's stages."""
        assert self.harness.backend is not None
        deployment = file_backend_deployment(self.harness.backend, "stages-test", "test")
        resources: list[dict[str, Any]] = deployment.get("resources", [])
        return {
            r["outputs"]["name"]: r["id"]
            for r in resources
            if (r.get("outputs") or {}).get("ordered_by_set")
        }


def add_stage(stack: SetStack) -> None:
    stack.stages.append({"key": "s3", "name": "Lost"})
    stack.harness.up()


def rename_stage(stack: SetStack) -> None:
    stack.stages[1]["name"] = "Discovery"
    stack.harness.up()


def remove_stage(stack: SetStack) -> None:
    stack.stages.pop(2)
    stack.harness.up()


OPERATIONS: dict[str, tuple[str | None, Callable[[SetStack], object]]] = {
    "create": ("POST", add_stage),
    "update": (None, rename_stage),  # the rename's write is its first request (PATCH or PUT)
    "delete": ("DELETE", remove_stage),
    "refresh": ("GET", lambda stack: stack.harness.refresh()),
}


def service_for(adapter: str, token: str) -> emulators.Service:
    """The adapter's emulator with its default flags."""
    kind = emulators.services()[adapter]
    parser = argparse.ArgumentParser()
    kind.add_arguments(parser)
    return kind.from_arguments(token, parser.parse_args([]))


def assert_account_matches(stack: SetStack) -> None:
    """The account holds exactly the declared stages, and the state's ids are the account's."""
    live = stack.harness.emulator.service.live_stages()
    assert sorted(name for name, _ in live) == sorted(s["name"] for s in stack.stages)
    assert stack.state_ids() == dict(live), "state ids differ from the account's"


@dataclass
class Start:
    """One adapter's emulator and stack, and the snapshot of both after the setup `up`."""

    adapter: str
    token: str
    harness: StackHarness
    snapshot: Snapshot


@pytest.fixture(scope="module", params=ADAPTERS)
def start(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[Start]:
    """The three stages every cell starts from, made by a real `up` on a fresh emulator and
    checked converged, then saved (stack folder and account) for each cell to restore."""
    adapter = str(request.param)
    token = f"tok-{secrets.token_hex(12)}"
    root = tmp_path_factory.mktemp(f"matrix-{adapter}")
    work = root / "work"
    work.mkdir()
    with EmulatorServer(service_for(adapter, token)) as server:
        harness = StackHarness.create(work, pulumi_home, server, token, namespace=adapter)
        setup = SetStack(harness, adapter)
        harness.up()
        assert_account_matches(setup)
        yield Start(adapter, token, harness, Snapshot.take(work, root / "saved", server))
        harness.remove()


@pytest.fixture
def set_stack(start: Start) -> SetStack:
    """The adapter's stack and emulator, restored to the three stages of the setup `up`."""
    start.snapshot.restore(start.harness.emulator, service_for(start.adapter, start.token))
    return SetStack(start.harness, start.adapter)


@pytest.mark.parametrize("fault_name", FAULTS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_converges_under_fault(
    set_stack: SetStack, operation: str, fault_name: str
) -> None:
    harness = set_stack.harness
    method, run = OPERATIONS[operation]
    harness.emulator.faults.add(FAULTS[fault_name](method))

    run(set_stack)

    assert harness.emulator.faults.pending() == 0, "the fault was never hit"
    assert_account_matches(set_stack)
    counts = dict(harness.emulator.log.counts())
    print(f"\n{set_stack.adapter.name} {operation:8} {fault_name:17} {counts}")
    harness.assert_no_changes()
