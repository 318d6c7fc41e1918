"""A CI runner lost mid-apply is recovered from another runner (fresh HOME, caches and
PULUMI_HOME, sharing only the state backend) with the README's three commands: `pulumi cancel`,
`pulumi refresh --clear-pending-creates`, `pulumi up`. The create journal lives beside the state
backend, so the second runner takes over what the first one made: no duplicate, no `adopt`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages.core.journal import open_intents
from pulumi_stages.core.memory import PostgresStore
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from tests import new_stack
from tests.runners import BACKENDS, Runner, lose_runner, shared_backend
from tests.s3 import objects
from tests.test_interrupted_up_e2e import (
    LATENCY,
    PROJECT,
    STAGES,
    stages_held,
    wait_for_creates_in_flight,
    wait_for_landed,
)
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The state backend the runners share."""
    with shared_backend(request.param, tmp_path / "shared-state", "recovery") as url:
        yield url


def journal_lines(backend: str) -> list[dict[str, Any]]:
    """Every journal entry the backend holds (in its folder, its database or its bucket)."""
    if backend.startswith("file://"):
        files = sorted(Path(backend[len("file://") :], ".pulumi-stages", "journal").glob("*.jsonl"))
        return [json.loads(line) for f in files for line in f.read_text().splitlines()]
    if backend.startswith("s3://"):
        held = objects(backend)
        keys = sorted(k for k in held if k.startswith(".pulumi-stages/journal/"))
        return [json.loads(held[k]) for k in keys]
    rows = PostgresStore(backend).run("SELECT line FROM pulumi_stages_log ORDER BY seq")
    return [json.loads(str(row[0])) for row in rows]


def test_a_runner_lost_mid_up_is_recovered_on_another_runner_without_adopt(
    tmp_path: Path, outreach: EmulatorServer, token: str, backend: str
) -> None:
    first = Runner(tmp_path, "runner-1", PROJECT, backend)
    second = Runner(tmp_path, "runner-2", PROJECT, backend)
    first.env["INTERRUPTED_ADOPT"] = second.env["INTERRUPTED_ADOPT"] = "false"
    first("stack", "init", "crash", "--secrets-provider", SECRETS_PROVIDER)
    new_stack.set_config(
        first.project / "Pulumi.crash.yaml",
        {"outreach:baseUrl": outreach.base_url},
        {"outreach:accessToken": token},
    )
    first.hand_config_to(second, "crash")
    outreach.faults.add(Fault(FaultKind.LATENCY, count=STAGES, delay=LATENCY, method="POST"))

    running = first.start("up", "--yes", "--skip-preview")
    made_before_kill = wait_for_creates_in_flight(outreach, 3, timeout=60)
    lose_runner(running)  # SIGKILL to the job's process group and each plugin's
    at_kill = stages_held(outreach)
    outreach.faults.clear()
    assert made_before_kill < STAGES, "the run finished before it could be interrupted"
    landed = wait_for_landed(outreach, timeout=30)  # before the next runner looks
    assert landed > at_kill, "no create was in flight at the kill"

    crash = ("--stack", "crash")  # the job names its stack, as a CI job does
    second("cancel", "--yes", *crash)
    second("refresh", "--yes", "--skip-preview", "--clear-pending-creates", *crash)
    outreach.log.reset()
    final = second.run("up", "--yes", "--skip-preview", *crash)
    recovery = dict(sorted(outreach.log.counts().items()))

    names = [s.name for s in outreach.service.state.listing()]  # type: ignore[attr-defined]
    duplicates = len(names) - len(set(names))
    entries = journal_lines(backend)
    recovered = [e for e in entries if e.get("recovered")]
    answered = {e["intent"] for e in entries if e.get("id")}
    unanswered = [e for e in entries if "window" in e and e["intent"] not in answered]
    print(
        f"\n[{backend.split(':', 1)[0]}] stages at the kill: {at_kill}, "
        f"after its creates in flight landed: {landed}; "
        f"requests of the recovery up: {recovery}; duplicates: {duplicates}; "
        f"final up exit {final.returncode}; intents closed by the recovery: {len(recovered)}, "
        f"superseded by its own creates: {len(unanswered) - len(open_intents(entries))}"
    )
    assert final.returncode == 0, final.stdout[-600:] + final.stderr[-600:]
    assert sorted(names) == sorted(f"Stage {i}" for i in range(STAGES)), "duplicate or missing"
    assert recovery.get("POST /api/v2/stages", 0) == STAGES - landed  # none made again
    assert recovered, "no landed create was taken over through its unanswered intent"
    assert "adopt" not in final.stdout + final.stderr
    assert first.local_memory() == [], "runner 1 kept provider memory on its own disk"
    assert second.local_memory() == [], "runner 2 kept provider memory on its own disk"
    assert open_intents(entries) == [], "an intent is still open after the recovery"
    second("preview", "--expect-no-changes", *crash)


@pytest.mark.parametrize("chosen_by", ["login", "project"])
def test_the_provider_finds_the_backend_the_cli_chose(
    tmp_path: Path, outreach: EmulatorServer, token: str, chosen_by: str
) -> None:
    """No PULUMI_BACKEND_URL: the backend comes from `pulumi login` (credentials.json under
    PULUMI_HOME) or the project file's `backend.url`; the journal lands beside it all the same."""
    state = tmp_path / "team-state"
    state.mkdir()
    runner = Runner(tmp_path, "runner", PROJECT, state.as_uri())
    del runner.env["PULUMI_BACKEND_URL"]
    runner.env["INTERRUPTED_ADOPT"] = "false"
    if chosen_by == "login":
        runner("login", state.as_uri())
    else:
        project = runner.project / "Pulumi.yaml"
        project.write_text(project.read_text() + f"backend:\n  url: {state.as_uri()}\n")
    runner("stack", "init", "found", "--secrets-provider", SECRETS_PROVIDER)
    new_stack.set_config(
        runner.project / "Pulumi.found.yaml",
        {"outreach:baseUrl": outreach.base_url},
        {"outreach:accessToken": token},
    )
    runner("up", "--yes", "--skip-preview")
    journals = list((state / ".pulumi-stages" / "journal").glob("*.jsonl"))
    assert len(journals) == 1
    assert len(journals[0].read_text().splitlines()) == 2 * STAGES  # intent and answer each
    assert runner.local_memory() == []


SMALL_PROJECT = {
    "Pulumi.yaml": "name: no-sdk\nruntime: python\n",
    "__main__.py": (
        "import os\n"
        "from pulumi_stages.outreach import Stage\n"
        "for i in range(int(os.environ['STAGES'])):\n"
        "    Stage(f'stage-{i}', name=f'Stage {i}', color='#5951ff', order=i * 10)\n"
    ),
}
NO_SDK = "cannot be used (the AWS SDK is not installed: pip install 'pulumi-stages[s3]')"


def test_a_runner_without_the_aws_sdk_stops_before_sending_anything_naming_the_extra(
    tmp_path: Path, outreach: EmulatorServer, token: str
) -> None:
    """A project on an S3 backend whose runner lacks the `s3` extra: the provider's memory
    cannot be opened. A create or a replacement fails its preview, and a delete stops before its
    DELETE, so the account and the state stay equal; nothing is sent, the token never shown."""
    source = tmp_path / "source"
    source.mkdir()
    for name, text in SMALL_PROJECT.items():
        (source / name).write_text(text)
    hidden = tmp_path / "no-aws-sdk" / "boto3"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'boto3'\")\n")
    with shared_backend("s3", tmp_path / "unused", "no-sdk") as backend:
        runner = Runner(tmp_path, "runner", source, backend)
        runner.env["STAGES"] = "3"
        runner("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)
        new_stack.set_config(
            runner.project / "Pulumi.dev.yaml",
            {"outreach:baseUrl": outreach.base_url},
            {"outreach:accessToken": token},
        )
        runner("up", "--yes", "--skip-preview")  # with the SDK: three stages
        made = sorted(s.name for s in outreach.service.state.listing())  # type: ignore[attr-defined]
        assert made == ["Stage 0", "Stage 1", "Stage 2"]
        runner.env["PYTHONPATH"] = str(hidden.parent)
        outreach.log.reset()

        runner.env["STAGES"] = "4"
        created = runner.run("preview")
        urn = "urn:pulumi:dev::no-sdk::pulumi-python:dynamic/outreach:Stage::stage-0"
        runner.env["STAGES"] = "3"
        replaced = runner.run("preview", "--replace", urn)
        runner.env["STAGES"] = "2"
        deleted = runner.run("up", "--yes", "--skip-preview")
        sent = outreach.log.writes()
        left = sorted(s.name for s in outreach.service.state.listing())  # type: ignore[attr-defined]
        runner.env.pop("PYTHONPATH")
        in_state = runner("stack", "export").count('"type": "pulumi-python:dynamic/outreach:Stage"')
    for run in (created, replaced, deleted):
        shown = run.stdout + run.stderr
        print(f"\n{shown[-500:]}")
        assert run.returncode != 0
        assert NO_SDK in shown
        assert token not in shown
    assert sent == []
    assert left == made
    assert in_state == 3  # the state still holds what the account holds
