"""A stack's starting point set up once per module (and xdist worker) and put back before each
test that starts from it: the stack's work folder (state backend, config, provider memory)
copied back to the same path, and a fresh emulator holding the saved account, served on the
same port. A test then pays none of the `stack init`, `config set-all` and first `up` that
every test of the file would otherwise run again, to the same end, before its own steps.

The copy is the engine's own files, so the restored stack is the one the first `up` left; the
fresh emulator's API snapshot is checked equal to the saved one before a test gets it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.server import RequestLog, Service
from tests.engine import StackHarness

Setup = Callable[[StackHarness], None]


def serve_on(listener: socket.socket, service: Service) -> EmulatorServer:
    """An emulator serving `service` on a copy of a listening socket the module keeps open, so
    the URL saved in the stack's config and state keeps pointing at the emulator of the day
    (EmulatorServer binds its own socket in its constructor; that one is swapped out)."""
    server = EmulatorServer(service)
    server._socket.close()
    server._socket = listener.dup()
    server.port = listener.getsockname()[1]
    return server.start()


@dataclass
class FirstRun:
    """What the setup's engine runs did, kept for the test that proves them."""

    log: RequestLog
    """The requests the setup made."""
    snapshot: Any
    """The emulator's API snapshot right after the setup."""


class RestoredHarness(StackHarness):
    """A harness over a restored stack; it reads state from the file backend's own file."""

    def state_outputs(self, kind: str = "Stage") -> dict[str, dict[str, Any]]:
        """Outputs of each resource of this kind in the stack's state, by resource name: the
        checkpoint `pulumi stack export` prints, read from the backend folder (no CLI run)."""
        assert self.backend is not None
        [path] = (self.backend / ".pulumi" / "stacks").glob(f"*/{self.stack.name}.json")
        deployment = json.loads(path.read_text())["checkpoint"].get("latest") or {}
        return {
            r["urn"].rsplit("::", 1)[-1]: r.get("outputs", {})
            for r in deployment.get("resources", [])
            if r["type"].endswith(f"{self.namespace}:{kind}")
        }


@dataclass
class SavedStart:
    """One stack and account as a setup left them, restorable any number of times."""

    harness: StackHarness
    """The module's stack, set up; tests get fresh harnesses over the same workspace."""
    work: Path
    saved: Path
    listener: socket.socket
    service: Callable[[str], Service]
    token: str
    account: dict[str, Any]
    first: FirstRun

    @contextlib.contextmanager
    def restored(self) -> Iterator[StackHarness]:
        """The stack as the setup left it, over a fresh emulator holding the saved account."""
        shutil.rmtree(self.work)
        shutil.copytree(self.saved, self.work, symlinks=True)
        service = self.service(self.token)
        service.import_state(copy.deepcopy(self.account))
        assert service.snapshot() == self.first.snapshot, "the saved account did not restore"
        with serve_on(self.listener, service) as emulator:
            harness = RestoredHarness(
                stack=self.harness.stack,
                emulator=emulator,
                namespace=self.harness.namespace,
                declared=copy.deepcopy(self.harness.declared),
                program=self.harness.program,
                backend=self.harness.backend,
            )
            self.harness.stack.workspace.program = harness._program
            yield harness


@contextlib.contextmanager
def saved_start(
    folder: Path,
    pulumi_home: Path,
    service: Callable[[str], Service],
    namespace: str = "outreach",
    setup: Setup | None = None,
) -> Iterator[SavedStart]:
    """Create a stack in `folder`/work over an emulator of `service`, run `setup` on it (none:
    the stack as `stack init` and `config set-all` leave it), and save both."""
    token = f"tok-{secrets.token_hex(12)}"
    work, saved = folder / "work", folder / "saved"
    work.mkdir()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        with serve_on(listener, service(token)) as emulator:
            harness = StackHarness.create(work, pulumi_home, emulator, token, namespace)
            if setup is not None:
                setup(harness)
            first = FirstRun(emulator.log, emulator.service.snapshot())
            account = emulator.service.export_state()
        shutil.copytree(work, saved, symlinks=True)
        try:
            yield SavedStart(harness, work, saved, listener, service, token, account, first)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def module_start(
    tmp_path_factory: pytest.TempPathFactory,
    pulumi_home: Path,
    service: Callable[[str], Service],
    namespace: str = "outreach",
    setup: Setup | None = None,
) -> Iterator[SavedStart]:
    """`saved_start` in a fresh temporary folder, for a module-scoped fixture to yield from."""
    name = setup.__name__ if setup is not None else "empty"
    with saved_start(
        tmp_path_factory.mktemp(name), pulumi_home, service, namespace, setup
    ) as start:
        yield start
