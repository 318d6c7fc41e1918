"""Start the dynamic-provider process the way the Pulumi CLI does and have it answer one request.

Every engine operation starts `pulumi-resource-pulumi-python` (`python -m pulumi.dynamic`): it
prints its port, then unpickles our provider (by reference, so it imports our package) on the
first Configure-then-Check. `first_answer` does exactly that against an emulator and returns the
process's CPU until the Check answered and, when asked, the modules it imported (from Python's
`-X importtime` log, which costs CPU itself: never both from one start).
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


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
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


def first_answer(scenario: Scenario, *, modules: bool = False, unchanged: bool = False) -> Start:
    """Start a provider process, Configure it for the emulator and Check a new stage (or, when
    `unchanged`, Check and Diff a stage whose state holds the same inputs, as in a no-op preview);
    its CPU until the answer (and its imported modules if `modules`). The process group is
    killed."""
    pickled = serialize_provider(scenario.provider())
    base64.b64decode(pickled)  # what the process decodes: fail here on a bad pickle, not there
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(scenario.service(TOKEN)) as server:
        env = {**os.environ, "PULUMI_STAGES_TOKEN_CACHE": str(Path(tmp) / "tokens")}
        env.pop("PULUMI_STAGES_FORKSERVER", None)  # a fresh interpreter: what a start costs
        if modules:
            env["PYTHONPROFILEIMPORTTIME"] = "1"
        with open(Path(tmp) / "stderr", "w+") as stderr:
            process = subprocess.Popen(
                [str(PROVIDER_BINARY)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                cwd=tmp,
                start_new_session=True,
            )
            try:
                assert process.stdout is not None
                port = int(process.stdout.readline())
                with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                    stub = provider_pb2_grpc.ResourceProviderStub(channel)
                    config = {
                        f"{scenario.namespace}:baseUrl": server.base_url,
                        f"{scenario.namespace}:accessToken": TOKEN,
                    }
                    stub.Configure(
                        provider_pb2.ConfigureRequest(args=_struct(config)),
                        timeout=ANSWER_TIMEOUT_SECONDS,
                    )
                    news = {**scenario.inputs, "__provider": pickled}
                    urn = "urn:pulumi:bench::bench::pulumi-python:dynamic:Resource::s"
                    stub.Check(
                        provider_pb2.CheckRequest(
                            urn=urn, olds=_struct(news if unchanged else {}), news=_struct(news)
                        ),
                        timeout=ANSWER_TIMEOUT_SECONDS,
                    )
                    if unchanged:  # then the engine diffs it against its state
                        diff = stub.Diff(
                            provider_pb2.DiffRequest(
                                id="1", urn=urn, olds=_struct(news), news=_struct(news)
                            ),
                            timeout=ANSWER_TIMEOUT_SECONDS,
                        )
                        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE, diff
            finally:
                os.killpg(process.pid, signal.SIGKILL)
                _, _, usage = os.wait4(process.pid, 0)
                process.returncode = -signal.SIGKILL
                if process.stdout is not None:
                    process.stdout.close()
            stderr.seek(0)
            log = stderr.read()
    return Start(usage.ru_utime + usage.ru_stime, _imported(log) if modules else frozenset())


def scenarios() -> dict[str, Scenario]:
    """Each adapter's stage provider, checking a new stage in the emulator's fresh account."""
    return {
        "outreach": Scenario(
            "outreach", lambda t: OutreachService(token=t), OutreachStageProvider, {"name": "Bench"}
        ),
        "capsule": Scenario(
            "capsule",
            lambda t: CapsuleService(token=t),
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
