"""Start the dynamic-provider process the way the Pulumi CLI does and have it answer requests.

Every engine operation starts `pulumi-resource-pulumi-python` (`python -m pulumi.dynamic`): it
prints its port, then unpickles our provider (by reference, so it imports our package) on the
first request that carries it. `ProviderProcess` starts one and Configures it for an emulator;
`first_answer` has it Check a stage and returns the process's CPU until the Check answered and,
when asked, the modules it imported (from Python's `-X importtime` log, which costs CPU itself:
never both from one start). `bench.provider_reads` sends it Reads.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import ResourceProvider, serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pulumi_stages.capsule.stage import CapsuleStageProvider
from pulumi_stages.emulator import EmulatorServer, Service
from pulumi_stages.emulator.capsule import CapsuleService
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.emulator.outreach import OutreachService
from pulumi_stages.hubspot.stage import DealStageProvider
from pulumi_stages.outreach.stage import OutreachStageProvider

TOOLS_BIN = Path(__file__).resolve().parent.parent / ".tools" / "bin"
PROVIDER_BINARY = TOOLS_BIN / "pulumi-resource-pulumi-python"
TOKEN = "provider-start-token"
ANSWER_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Start:
    """One provider process start: its CPU-seconds (user+sys) until Check answered, and the
    modules it imported (empty unless asked for)."""

    cpu_seconds: float
    modules: frozenset[str]


@dataclass(frozen=True)
class Scenario:
    """What one adapter's first Check needs: its emulator, its provider and a new stage's inputs."""

    namespace: str
    service: Callable[[str], Service]
    provider: Callable[[], ResourceProvider]
    inputs: Mapping[str, Any]


def struct_of(values: Mapping[str, Any]) -> struct_pb2.Struct:
    found = struct_pb2.Struct()
    found.update(dict(values))
    return found


def _imported(log: str) -> frozenset[str]:
    """Module names from a `-X importtime` log ("import time: self | cumulative | name")."""
    names = set()
    for line in log.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and "imported package" not in line:
            names.add(parts[2].strip())
    return frozenset(names)


class ProviderProcess:
    """One provider process started as the CLI starts it, Configured for an emulator; `stop`
    kills its group and gives its CPU-seconds. Its stderr (the import log when `modules`) is
    in `log()` after the stop."""

    def __init__(self, scenario: Scenario, base_url: str, tmp: Path, *, modules: bool = False):
        env = {**os.environ, "PULUMI_STAGES_TOKEN_CACHE": str(tmp / "tokens")}
        env.pop("PULUMI_STAGES_FORKSERVER", None)  # a fresh interpreter: what a start costs
        if modules:
            env["PYTHONPROFILEIMPORTTIME"] = "1"
        self.pickled = serialize_provider(scenario.provider())
        base64.b64decode(self.pickled)  # what the process decodes: fail here, not there
        self._stderr = open(tmp / "stderr", "w+")  # noqa: SIM115 - closed by `stop`
        try:
            self.process = subprocess.Popen(
                [str(PROVIDER_BINARY)],
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                cwd=tmp,
                start_new_session=True,
            )
        except BaseException:
            self._stderr.close()
            raise
        self._log = ""
        self._stopped: float | None = None
        self._channel: grpc.Channel | None = None
        try:
            assert self.process.stdout is not None
            port = int(self.process.stdout.readline())
            self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
            config = {
                f"{scenario.namespace}:baseUrl": base_url,
                f"{scenario.namespace}:accessToken": TOKEN,
            }
            self.stub.Configure(
                provider_pb2.ConfigureRequest(args=struct_of(config)),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
        except BaseException:
            self.stop()
            raise

    def cpu_seconds(self) -> float:
        """User and system CPU the running process has used so far (Linux's /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> float:
        """Kill the process group; the process's CPU-seconds (user+sys) in all. Once: a second
        call answers the same (the pid may belong to another process by then)."""
        if self._stopped is not None:
            return self._stopped
        if self._channel is not None:
            self._channel.close()
        os.killpg(self.process.pid, signal.SIGKILL)
        _, _, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = -signal.SIGKILL
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.seek(0)
        self._log = self._stderr.read()
        self._stderr.close()
        self._stopped = usage.ru_utime + usage.ru_stime
        return self._stopped

    def log(self) -> str:
        """What the process wrote to stderr; read by `stop`, so empty until then."""
        return self._log


def first_answer(scenario: Scenario, *, modules: bool = False, unchanged: bool = False) -> Start:
    """Start a provider process, Configure it for the emulator and Check a new stage (or, when
    `unchanged`, Check and Diff a stage whose state holds the same inputs, as in a no-op preview);
    its CPU until the answer (and its imported modules if `modules`). The process group is
    killed."""
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(scenario.service(TOKEN)) as server:
        process = ProviderProcess(scenario, server.base_url, Path(tmp), modules=modules)
        try:
            stub = process.stub
            news = {**scenario.inputs, "__provider": process.pickled}
            urn = "urn:pulumi:bench::bench::pulumi-python:dynamic:Resource::s"
            stub.Check(
                provider_pb2.CheckRequest(
                    urn=urn, olds=struct_of(news if unchanged else {}), news=struct_of(news)
                ),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
            if unchanged:  # then the engine diffs it against its state
                diff = stub.Diff(
                    provider_pb2.DiffRequest(
                        id="1", urn=urn, olds=struct_of(news), news=struct_of(news)
                    ),
                    timeout=ANSWER_TIMEOUT_SECONDS,
                )
                assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, diff
        finally:
            cpu = process.stop()
    return Start(cpu, _imported(process.log()) if modules else frozenset())


@dataclass(frozen=True)
class ReadAndDelete:
    """What a refresh and a destroy did in one provider process: the id Read found, whether a
    second Read after the Delete found the stage gone, and the modules the process imported."""

    read_id: str
    gone_after_delete: bool
    modules: frozenset[str]


def read_and_delete(scenario: Scenario) -> ReadAndDelete:
    """Create a stage through one provider process; then, in a fresh one (as a refresh's and a
    destroy's are), Read it, Diff it against its inputs, Delete it and Read it again. Both
    process groups are killed."""
    urn = "urn:pulumi:bench::bench::pulumi-python:dynamic:Resource::s"
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(scenario.service(TOKEN)) as server:
        creator = ProviderProcess(scenario, server.base_url, Path(tmp))
        try:
            news = struct_of({**scenario.inputs, "__provider": creator.pickled})
            checked = creator.stub.Check(
                provider_pb2.CheckRequest(urn=urn, olds=struct_of({}), news=news),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
            assert not checked.failures, checked.failures
            created = creator.stub.Create(
                provider_pb2.CreateRequest(urn=urn, properties=checked.inputs),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
        finally:
            creator.stop()
        state = {**dict(created.properties), "__provider": creator.pickled}
        inputs = {**dict(checked.inputs)}
        reader = ProviderProcess(scenario, server.base_url, Path(tmp), modules=True)
        try:
            stub = reader.stub
            read = stub.Read(
                provider_pb2.ReadRequest(
                    id=created.id, urn=urn, properties=struct_of(state), inputs=struct_of(inputs)
                ),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
            stub.Diff(
                provider_pb2.DiffRequest(
                    id=created.id, urn=urn, olds=read.properties, news=struct_of(inputs)
                ),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
            stub.Delete(
                provider_pb2.DeleteRequest(id=created.id, urn=urn, properties=struct_of(state)),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
            again = stub.Read(
                provider_pb2.ReadRequest(id=created.id, urn=urn, properties=struct_of(state)),
                timeout=ANSWER_TIMEOUT_SECONDS,
            )
        finally:
            reader.stop()
    return ReadAndDelete(read.id, again.id == "", _imported(reader.log()))


def _capsule_with_board(token: str) -> Service:
    """A Capsule account holding the board the scenario's stage is declared on."""
    service = CapsuleService(token=token)
    service.state.create_board("Bench board")
    return service


def scenarios() -> dict[str, Scenario]:
    """Each adapter's stage provider, checking a new stage in the emulator's fresh account."""
    return {
        "outreach": Scenario(
            "outreach", lambda t: OutreachService(token=t), OutreachStageProvider, {"name": "Bench"}
        ),
        "capsule": Scenario(
            "capsule",
            _capsule_with_board,
            CapsuleStageProvider,
            {"name": "Bench", "board": "Bench board"},
        ),
        "hubspot": Scenario(
            "hubspot",
            lambda t: HubSpotService(token=t),
            DealStageProvider,
            {"name": "Bench", "pipeline": "Sales Pipeline", "probability": 0.5},
        ),
    }
