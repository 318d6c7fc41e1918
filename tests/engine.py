"""Drives the real Pulumi engine through the Automation API over a declared list of stages."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections import UserDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto
from pulumi.runtime import _grpc_settings

from pulumi_stages.capsule import Board
from pulumi_stages.capsule import Stage as CapsuleStageResource
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach import Stage
from tests import new_stack
from tests.snapshot import file_backend_deployment
from tests.vault import SECRETS_PROVIDER

ROOT = Path(__file__).resolve().parent.parent
TOOLS_BIN = ROOT / ".tools" / "bin"
PASSPHRASE = "test-passphrase"

GO_COLLECTOR = {"GOGC": "off", "GOMEMLIMIT": "256MiB"}
"""The suite's environment for the Go programs it starts (the CLI, the YAML host): garbage is
collected only as a heap nears 256 MiB. A command's heap is small and short-lived (about 30 MB
more resident memory), and its collector cost about a sixth of an e2e file's CPU
(test_outreach_stage_e2e 29-31 -> 25-26 CPU-s). A value set in the environment wins; the Go
toolchain's builds run without it (`sdk_toolchain.go_env`): a link's heap is large."""


@dataclass
class Declared:
    """One stage as a test program declares it."""

    key: str
    name: str
    color: str | None = None
    order: int | None = None
    adopt: bool | None = None
    adopt_id: int | None = None


@functools.cache
def pulumi_command() -> auto.PulumiCommand:
    """The project's CLI for the Automation API, made once per test process: making one runs
    `pulumi version`, a CLI start every stack would pay again for the same answer."""
    return auto.PulumiCommand(root=str(TOOLS_BIN.parent))


class _OutputsOnRead(UserDict[str, Any]):
    """A stack's outputs, read from the CLI the first time a test looks at them."""

    def __init__(self, read: Callable[[], Any]) -> None:  # no super().__init__: it sets data
        self._read = read
        self._data: dict[str, Any] | None = None

    @property  # type: ignore[override]
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = dict(self._read())
        return self._data


class _SummaryOnRead:
    """The last update's summary, read from the CLI the first time a test looks at it."""

    def __init__(self, read: Callable[[], Any]) -> None:
        self._read = read
        self._summary: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._summary is None:
            self._summary = self._read()
        return getattr(self._summary, name)


def read_results_on_demand(stack: auto.Stack) -> None:
    """After each `up`, `refresh` and `destroy` the Automation API runs `pulumi stack history`
    and `pulumi stack output` for the result it returns (about 1 CPU-second, measured); most
    tests never read them, so they are read only when a test does."""
    info, outputs = stack.info, stack.outputs
    stack.info = lambda show_secrets=True: _SummaryOnRead(lambda: info(show_secrets))  # type: ignore[method-assign]
    stack.outputs = lambda: _OutputsOnRead(outputs)  # type: ignore[method-assign,assignment]


def stages(*names: str, color: str = "#5951ff") -> list[Declared]:
    """Stages named `names`, keyed by position, ordered 10, 20, 30..."""
    return [Declared(f"stage-{i}", name, color, (i + 1) * 10) for i, name in enumerate(names)]


@dataclass
class StackHarness:
    """One stack on a file backend; `declared` is what the inline program declares next run
    (Outreach stages), unless `program` is set to a program of the test's own."""

    stack: auto.Stack
    emulator: EmulatorServer
    namespace: str = "outreach"
    output: list[str] = field(default_factory=list)
    declared: list[Declared] = field(default_factory=list)
    program: Callable[[], None] | None = None
    backend: Path | None = None

    @classmethod
    def create(
        cls,
        tmp_path: Path,
        pulumi_home: Path,
        emulator: EmulatorServer,
        token: str,
        namespace: str = "outreach",
    ) -> StackHarness:
        backend = tmp_path / "state"
        harness = cls(stack=None, emulator=emulator, namespace=namespace)  # type: ignore[arg-type]
        command = pulumi_command()
        empty = new_stack.template(pulumi_home, command)
        new_stack.lay_out(
            tmp_path,
            backend,
            empty,
            config={f"{namespace}:baseUrl": emulator.base_url},
            secret={f"{namespace}:accessToken": token},
        )
        workspace = auto.LocalWorkspace(
            work_dir=str(tmp_path),
            pulumi_home=str(pulumi_home),
            program=harness._program,
            project_settings=new_stack.project_settings(backend),
            secrets_provider=SECRETS_PROVIDER,
            env_vars={
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_STAGES_TOKEN_CACHE": str(tmp_path / "tokens"),
            },
            pulumi_command=command,
        )
        harness.stack = new_stack.existing_stack(workspace)
        harness.backend = backend
        read_results_on_demand(harness.stack)
        return harness

    def set_token(self, token: str) -> None:
        """Store the access token as a stack secret, as `pulumi config set --secret` does."""
        self.set_secret(f"{self.namespace}:accessToken", token)

    def set_secret(self, key: str, value: str) -> None:
        """Store a stack secret."""
        self.stack.set_config(key, auto.ConfigValue(value, secret=True))

    def _program(self) -> None:
        if self.program is not None:
            self.program()
            return
        for stage in self.declared:
            created = Stage(
                stage.key,
                name=stage.name,
                color=stage.color,
                order=stage.order,
                adopt=stage.adopt,
                adopt_id=stage.adopt_id,
            )
            pulumi.export(stage.key, created.stage_id)

    def _echo(self, line: str) -> None:
        self.output.append(line)

    def up(self) -> auto.UpResult:
        """`pulumi up` of the declared stages; the emulator log starts empty."""
        self.emulator.log.reset()
        return self.stack.up(on_output=self._echo)

    def preview(self) -> auto.PreviewResult:
        """`pulumi preview --diff`; the emulator log starts empty."""
        self.emulator.log.reset()
        return self.stack.preview(on_output=self._echo, diff=True)

    def refresh(self) -> auto.RefreshResult:
        """`pulumi refresh`; the emulator log starts empty."""
        self.emulator.log.reset()
        return self.stack.refresh(on_output=self._echo)

    def destroy(self) -> auto.DestroyResult:
        """`pulumi destroy`; the emulator log starts empty."""
        self.emulator.log.reset()
        return self.stack.destroy(on_output=self._echo)

    def assert_no_changes(self) -> None:
        """The check after every step: a preview that plans nothing and writes nothing."""
        summary = self.preview().change_summary
        planned = {op: n for op, n in summary.items() if op != auto.OpType.SAME and n}
        assert planned == {}, f"preview planned {planned}"
        assert self.emulator.log.writes() == []

    def state_outputs(self, kind: str = "Stage") -> dict[str, dict[str, Any]]:
        """Outputs of each resource of this kind in the stack's state, by resource name: read
        from the backend folder as `pulumi stack export` prints it (one CLI start fewer each)."""
        assert self.backend is not None, "StackHarness.create sets it"
        deployment = file_backend_deployment(self.backend, new_stack.PROJECT, self.stack.name)
        resources = deployment.get("resources", [])
        return {
            r["urn"].rsplit("::", 1)[-1]: r.get("outputs", {})
            for r in resources
            if r["type"].endswith(f"{self.namespace}:{kind}")
        }

    def cli(self, *args: str) -> str:
        """Run a plain `pulumi` command against this stack and return its stdout."""
        workspace = self.stack.workspace
        env = {**workspace.env_vars, "PULUMI_HOME": workspace.pulumi_home or ""}
        command = [*args, "--stack", self.stack.name]
        return workspace.pulumi_command.run(command, workspace.work_dir, env).stdout

    def exported_text(self) -> str:
        """`pulumi stack export` as a user runs it (the Automation API's export shows secrets)."""
        return self.cli("stack", "export")

    def remove(self) -> None:
        """Delete the stack's state folder (the emulator dies with its fixture): the folder is
        the test's own, so no `pulumi stack rm` run is needed to tidy it."""
        if self.backend is not None:
            shutil.rmtree(self.backend, ignore_errors=True)


def _keep_virtualenv(source: Path, copied: Path) -> None:
    """A copied project keeps the environment its `virtualenv:` names (a relative path is
    from the project it was copied from), as the language host honours it."""
    if not copied.exists():
        return
    text = copied.read_text()
    found = re.search(r"^(\s*virtualenv:\s*)(\S+)\s*$", text, re.MULTILINE)
    if found and not Path(found.group(2)).is_absolute():
        venv = (source / found.group(2)).resolve()
        copied.write_text(text[: found.start(2)] + str(venv) + text[found.end(2) :])


class PulumiCli:
    """Runs plain `pulumi` commands in a copy of a project folder with a throwaway backend."""

    def __init__(self, tmp_path: Path, pulumi_home: Path, source: Path) -> None:
        backend = tmp_path / "state"
        backend.mkdir()
        self.project = tmp_path / "project"
        self.project.mkdir()
        for name in ("Pulumi.yaml", "__main__.py", "stages.yaml"):
            if (source / name).exists():
                shutil.copy(source / name, self.project / name)
        _keep_virtualenv(source, self.project / "Pulumi.yaml")
        self.env = {
            **os.environ,
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_HOME": str(pulumi_home),
        }
        self.transcript: list[str] = []

    def init_stack(
        self, name: str, emulator: EmulatorServer, token: str, namespace: str = "outreach"
    ) -> None:
        """Create a stack pointed at an emulator, its token a stack secret (its config written
        as `pulumi config set-all` writes it: tests/new_stack.py)."""
        self("stack", "init", name, "--secrets-provider", SECRETS_PROVIDER)
        new_stack.set_config(
            self.stack_settings(name),
            {f"{namespace}:baseUrl": emulator.base_url},
            {f"{namespace}:accessToken": token},
        )

    def stack_settings(self, name: str) -> Path:
        """The settings file (`Pulumi.<stack>.yaml`) of a stack of this project."""
        return self.project / f"Pulumi.{name.rsplit('/', 1)[-1]}.yaml"

    def command(self, *args: str) -> list[str]:
        """The argv of a non-interactive `pulumi` command in the project."""
        return ["pulumi", *args, "--non-interactive", "--cwd", str(self.project)]

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command and return how it ended, whatever its exit status."""
        done = subprocess.run(
            self.command(*args),
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        self.transcript += [done.stdout, done.stderr]
        return done

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout


@dataclass
class CapsuleStage:
    key: str
    name: str
    board: str
    description: str | None = None
    display_order: int | None = None


@dataclass
class Pipeline:
    """Boards (by name) and stages the program declares."""

    boards: list[str] = field(default_factory=lambda: ["Projects"])
    stages: list[CapsuleStage] = field(default_factory=list)

    def program(self) -> None:
        boards = {name: Board(f"board-{name.lower()}", name=name) for name in self.boards}
        for stage in self.stages:
            created = CapsuleStageResource(
                stage.key,
                name=stage.name,
                board=boards[stage.board].name,
                description=stage.description,
                display_order=stage.display_order,
            )
            pulumi.export(stage.key, created.stage_id)


def four_stages() -> list[CapsuleStage]:
    names = ["Project Brief", "In Progress", "Review", "Done"]
    return [CapsuleStage(f"s{i}", n, "Projects", None, i + 1) for i, n in enumerate(names)]


OWN_SUBCHANNELS = ("grpc.use_local_subchannel_pool", 1)


def own_subchannels_per_channel() -> None:
    """Give every channel the SDK opens in this process (an inline program's to its engine and
    resource monitor) subchannels of its own. gRPC shares them process-wide by address, and one
    left failing by an earlier run whose engine is gone (a refused `up`'s program logs to it
    after the CLI exits) fails a later run's calls at once, with the old "Connection refused",
    when that run's CLI listens on the same port again within the reconnect backoff."""
    if OWN_SUBCHANNELS not in _grpc_settings._GRPC_CHANNEL_OPTIONS:
        _grpc_settings._GRPC_CHANNEL_OPTIONS.append(OWN_SUBCHANNELS)


own_subchannels_per_channel()
