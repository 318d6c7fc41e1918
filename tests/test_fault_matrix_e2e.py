"""One fault matrix over every registered adapter, through the real engine.

Each cell starts from a stage set of three stages, injects one fault, runs one operation (add a
stage, rename one, remove one, refresh) and then checks that the run converged: the fault was
hit, the account holds exactly the declared stages (no duplicate, none lost), the ids in state
are the account's ids, and the next preview plans nothing. Every adapter the registry finds (a
folder under `pulumi_stages/`) gets the matrix: its `example` section is all the matrix needs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages import emulator as emulators
from pulumi_stages.core import registry
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness

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
        deployment = self.harness.stack.export_stack().deployment or {}
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


@pytest.fixture(params=ADAPTERS)
def set_stack(
    request: pytest.FixtureRequest, tmp_path: Path, pulumi_home: Path, token: str
) -> Iterator[SetStack]:
    adapter = str(request.param)
    with EmulatorServer(service_for(adapter, token)) as server:
        harness = StackHarness.create(tmp_path, pulumi_home, server, token, namespace=adapter)
        yield SetStack(harness, adapter)
        harness.remove()


@pytest.mark.parametrize("fault_name", FAULTS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_converges_under_fault(
    set_stack: SetStack, operation: str, fault_name: str
) -> None:
    harness = set_stack.harness
    harness.up()
    method, run = OPERATIONS[operation]
    harness.emulator.faults.add(FAULTS[fault_name](method))

    run(set_stack)

    assert harness.emulator.faults.pending() == 0, "the fault was never hit"
    live = harness.emulator.service.live_stages()
    assert sorted(name for name, _ in live) == sorted(s["name"] for s in set_stack.stages)
    assert set_stack.state_ids() == dict(live), "state ids differ from the account's"
    counts = dict(harness.emulator.log.counts())
    print(f"\n{set_stack.adapter.name} {operation:8} {fault_name:17} {counts}")
    harness.assert_no_changes()
