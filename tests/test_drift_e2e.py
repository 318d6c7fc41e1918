"""`pulumi-stages drift` on a stack whose account was edited by hand: the table, the exit codes,
and that it writes nothing (state files byte for byte, the emulator's log holds only reads)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer, OutreachService
from tests.engine import ROOT, PulumiCli
from tests.module_stack import SavedStarts, Start, module_token

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "outreach"


def drift(pulumi: PulumiCli, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `pulumi-stages drift` as a CI job would, in the stack's environment."""
    command = [sys.executable, "-m", "pulumi_stages.cli", "drift", "--stack", "dev"]
    return subprocess.run(
        [*command, "--cwd", str(pulumi.project), *args],
        env=pulumi.env,
        capture_output=True,
        text=True,
        check=False,
    )


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under a folder, by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def by_hand(emulator: EmulatorServer, token: str) -> httpx.Client:
    """A client acting as someone editing the account in the CRM's own screens."""
    return httpx.Client(
        base_url=emulator.base_url,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"},
    )


def stage_id(emulator: EmulatorServer, name: str) -> int:
    state: Any = emulator.service.state  # type: ignore[attr-defined]
    [stage] = [s for s in state.listing() if s.name == name]
    return int(stage.id)


def patch(client: httpx.Client, id_: int, **attributes: Any) -> None:
    body = {"data": {"type": "stage", "id": id_, "attributes": attributes}}
    assert client.patch(f"/stages/{id_}", json=body).status_code == 200


@dataclass(frozen=True)
class AppliedOnce:
    """The Outreach example applied once per module, and the saved start it left."""

    pulumi: PulumiCli
    starts: SavedStarts
    start: Start
    token: str


@pytest.fixture(scope="module")
def applied_once(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[AppliedOnce]:
    """The Outreach example applied to a fresh account on a file backend, once: `stack init`,
    its config and the `up` are the same for every test here."""
    token = module_token()
    folder = tmp_path_factory.mktemp("applied")
    emulator = EmulatorServer(OutreachService(token=token)).start()
    starts = SavedStarts(folder, emulator, lambda: OutreachService(token=token))
    pulumi = PulumiCli(folder, pulumi_home, EXAMPLE)
    pulumi.init_stack("dev", emulator, token)
    pulumi("up", "--yes", "--skip-preview")
    yield AppliedOnce(pulumi, starts, starts.save("applied"), token)
    starts.close()


@pytest.fixture
def stack_token(applied_once: AppliedOnce) -> str:
    """The token the applied stack holds."""
    return applied_once.token


@pytest.fixture
def outreach(applied_once: AppliedOnce) -> EmulatorServer:
    """The account as the example's `up` left it (a new emulator on the stack's port)."""
    return applied_once.starts.restore(applied_once.start)


@pytest.fixture
def applied(applied_once: AppliedOnce, outreach: EmulatorServer) -> PulumiCli:
    """The Outreach example applied to a fresh account on a file backend (restored to what
    the module's one `up` left; the account is `outreach`)."""
    applied_once.pulumi.transcript.clear()
    return applied_once.pulumi


def test_an_applied_stack_is_in_sync_and_drift_only_reads(
    applied: PulumiCli, outreach: EmulatorServer
) -> None:
    outreach.log.reset()
    done = drift(applied)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "stack dev: in sync (6 resources checked, no drift)\n"
    assert outreach.log.writes() == []
    assert outreach.log.count() > 0  # it did read the account


def test_three_hand_edits_show_as_drift_and_nothing_is_written(
    applied: PulumiCli, outreach: EmulatorServer, stack_token: str
) -> None:
    token = stack_token
    with by_hand(outreach, token) as client:
        patch(client, stage_id(outreach, "Contacted"), name="Reached Out")  # 1. a rename
        patch(client, stage_id(outreach, "New"), order=45)  # 2. a move
        assert client.delete(f"/stages/{stage_id(outreach, 'Customer')}").status_code == 204
        made = {"data": {"type": "stage", "attributes": {"name": "Hand Made", "order": 99}}}
        assert client.post("/stages", json=made).status_code == 201  # 3. delete + add
    state_before = files_of(applied.project.parent / "state")
    account_before = outreach.service.export_state()
    outreach.log.reset()

    text = drift(applied)
    markdown = drift(applied, "--format", "markdown")

    print(text.stdout, markdown.stdout, sep="\n")
    assert (text.returncode, markdown.returncode) == (2, 2), text.stderr + markdown.stderr
    assert text.stdout.startswith("stack dev: drift in 4 places (6 resources checked)\n")
    rows = [line.split() for line in text.stdout.splitlines()]
    assert [
        "sales/outreach/Contacted",
        "-",
        "name",
        "Contacted",
        "Contacted",
        "Reached",
        "Out",
    ] in (rows)
    assert any(r[:3] == ["sales/outreach/Customer", "-", "(missing)"] for r in rows)
    assert ["outreach", "stage", "'Hand", "Made'", "-", "(unexpected)", "-", "-", "present"] in rows
    [order] = [line for line in text.stdout.splitlines() if " sequence " in line]
    assert "New, Contacted, Meeting Booked, Open Opportunity, Customer" in order  # declared
    assert order.endswith("Contacted, Meeting Booked, Open Opportunity, New")  # live, by key
    assert (
        "| `sales/outreach/Contacted` | `-` | `name` | `Contacted` | `Contacted` | `Reached Out` |"
        in markdown.stdout
    )
    assert markdown.stdout.startswith("### Drift check: stack `dev` has drifted")
    assert token not in text.stdout + text.stderr + markdown.stdout + markdown.stderr

    assert files_of(applied.project.parent / "state") == state_before
    assert outreach.service.export_state() == account_before
    methods = {(entry.method, entry.reads_only) for entry in outreach.log.entries()}
    assert methods == {("GET", False)}, outreach.log.counts()

    # `pulumi up --refresh` restores the declaration; once the hand-made stage goes, all is in sync
    applied("up", "--yes", "--skip-preview", "--refresh")
    with by_hand(outreach, token) as client:
        assert client.delete(f"/stages/{stage_id(outreach, 'Hand Made')}").status_code == 204
    assert drift(applied).returncode == 0


def test_an_error_exits_1_naming_it(applied: PulumiCli) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_stages.cli", "drift", "--stack", "nope"],
        cwd=applied.project,
        env=applied.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: `pulumi preview --refresh --run-program` failed"), (
        done.stderr
    )
    assert "nope" in done.stderr


def test_a_capsule_stage_renamed_by_hand_is_drift_and_drift_only_reads(
    tmp_path: Path, pulumi_home: Path, capsule: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT / "examples" / "capsule")
    pulumi.init_stack("dev", capsule, token, namespace="capsule")
    pulumi("up", "--yes", "--skip-preview")
    state: Any = capsule.service.state  # type: ignore[attr-defined]
    [live] = [s for s in state.stages_of(None) if s.name == "Welcome Call"]
    with httpx.Client(
        base_url=capsule.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        body = {"stage": {"name": "Kick-off Call"}}
        assert client.put(f"/stages/{live.id}", json=body).status_code == 200
    state_before = files_of(tmp_path / "state")
    capsule.log.reset()

    done = drift(pulumi, "--format", "markdown")

    assert done.returncode == 2, done.stdout + done.stderr
    assert "| `name` | `Welcome Call` | `Welcome Call` | `Kick-off Call` |" in done.stdout
    assert "| `capsule board 'Onboarding'` |" in done.stdout  # the stage's container
    assert files_of(tmp_path / "state") == state_before
    assert capsule.log.writes() == [], capsule.log.counts()
