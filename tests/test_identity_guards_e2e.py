"""Guards found by review of the random-sequence fixes, through the real engine.

- A stage that moves to another board (a replace: Capsule cannot move one) onto a name that
  board already holds, made by hand, is refused before any write: never two of one name.
- A refresh keeps the inputs the program sets on every resource (`managed_by`,
  `resource_name`), so a preview after it plans nothing and a saved plan still matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.capsule import stage as capsule_stage
from pulumi_stages.emulator import EmulatorServer, OutreachService
from pulumi_stages.emulator.capsule import CapsuleService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness

pytestmark = pytest.mark.e2e


def boards(delivery: list[str], sales: list[str]) -> dict[str, Any]:
    return {
        "capsule": {
            "boards": [
                {"name": "Delivery", "stages": [{"name": n} for n in delivery]},
                {"name": "Sales", "stages": [{"name": n} for n in sales]},
            ]
        }
    }


@pytest.fixture
def capsule(tmp_path: Path, pulumi_home: Path, token: str) -> Iterator[StackHarness]:
    with EmulatorServer(CapsuleService(token=token)) as server:
        harness = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="capsule")
        yield harness
        harness.remove()


def test_a_stage_moved_onto_a_board_holding_its_name_by_hand_is_refused(
    capsule: StackHarness,
) -> None:
    spec = boards(["Brief", "Build"], ["Lead"])
    capsule.program = lambda: StageSet("pipeline", spec) and None
    capsule.up()
    service: Any = capsule.emulator.service
    sales = next(id_ for id_, b in service.state.boards.items() if b.name == "Sales")
    made = str(service.state.create_stage({"board": sales, "name": "Build"}).id)
    spec.update(boards(["Brief"], ["Lead", "Build"]))
    capsule.emulator.log.reset()

    with pytest.raises(auto.CommandError) as refused:
        capsule.preview()
    assert f"(id {made})" in str(refused.value)
    with pytest.raises(auto.CommandError) as refused:
        capsule.up()

    names = [name for name, _ in service.live_stages()]
    print(f"\nmove onto a hand-made name: {names}; writes {capsule.emulator.log.writes()}")
    assert names.count("Build") == 2  # one per board: the declared one and the hand-made one
    assert f"(id {made})" in str(refused.value)
    assert capsule.emulator.log.writes() == []


def test_a_plain_stage_moved_onto_a_board_holding_its_name_by_hand_is_refused(
    capsule: StackHarness,
) -> None:
    """The same with one `capsule.Stage` whose `board` changes: the same resource, replaced."""
    board = {"name": "Delivery"}
    capsule.program = lambda: capsule_stage.Stage("build", "Build", board["name"]) and None
    service: Any = capsule.emulator.service
    for name in ("Delivery", "Sales"):
        service.state.create_board(name)
    capsule.up()
    sales = next(id_ for id_, b in service.state.boards.items() if b.name == "Sales")
    made = str(service.state.create_stage({"board": sales, "name": "Build"}).id)
    board["name"] = "Sales"
    capsule.emulator.log.reset()

    with pytest.raises(auto.CommandError) as refused:
        capsule.up()

    names = [name for name, _ in service.live_stages()]
    print(f"\nplain stage moved onto a hand-made name: {names}; {capsule.emulator.log.writes()}")
    assert names.count("Build") == 2  # Delivery's (still managed) and the one made by hand
    assert f"(id {made})" in str(refused.value)
    assert capsule.emulator.log.writes() == []


@pytest.mark.parametrize("crm", ["outreach", "capsule"])
def test_a_refresh_keeps_the_inputs_every_resource_carries(
    tmp_path: Path, pulumi_home: Path, token: str, crm: str
) -> None:
    if crm == "outreach":
        spec: dict[str, Any] = {"outreach": {"stages": [{"name": "Lead"}, {"name": "Won"}]}}
        service: Any = OutreachService(token=token)
    else:
        spec = boards(["Brief", "Build"], ["Lead"])
        service = CapsuleService(token=token)
    with EmulatorServer(service) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace=crm)
        stack.program = lambda: StageSet("pipeline", spec) and None
        stack.up()
        stack.refresh()

        deployment = stack.stack.export_stack().deployment or {}
        stages = [r for r in deployment["resources"] if r["type"].endswith(f"{crm}:Stage")]
        assert stages
        for resource in stages:
            inputs = resource.get("inputs", {})
            project = stack.stack.workspace.project_settings().name
            assert str(inputs.get("managed_by")).endswith(f"/{project}/test"), inputs
            assert inputs.get("resource_name") == resource["urn"].rsplit("::", 1)[-1]
        stack.assert_no_changes()
