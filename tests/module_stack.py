"""A stack made once per module (per xdist worker) and put back to a saved start before each
test: its folders copied back and its emulator reopened on the same port with the saved account,
so a test starts where a fresh `stack init` (and, for a saved start, an `up`) would leave it,
without paying those engine runs again. The run that made a start is proven by a test of its own.
"""

from __future__ import annotations

import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.server import LoggedRequest, RequestLog, Service
from tests.engine import StackHarness


@dataclass(frozen=True)
class Start:
    """A saved starting point: a copy of the folders and the emulator's account, and the
    requests the runs that made it sent (for the test that proves those runs)."""

    files: Path
    account: dict[str, Any]
    requests: list[LoggedRequest] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Those requests per `METHOD /route`, as `RequestLog.counts` gives them."""
        log = RequestLog()
        for entry in self.requests:
            log.record(entry)
        return log.counts()

    def writes(self) -> list[LoggedRequest]:
        """Those of the requests that changed state, as `RequestLog.writes` gives them."""
        log = RequestLog()
        for entry in self.requests:
            log.record(entry)
        return log.writes()


def _replace_folder(folder: Path, source: Path) -> None:
    """Make `folder` hold exactly what `source` holds."""
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    shutil.copytree(source, folder, dirs_exist_ok=True, symlinks=True)


class SavedStarts:
    """Saves and restores one folder (a stack's work dir and backend, or a project and its
    backend) and the emulator the stack talks to; a new service per restore, so nothing a test
    left in the emulator (faults, log, rate budget, settings outside the export) reaches the
    next."""

    def __init__(
        self, folder: Path, emulator: EmulatorServer, make_service: Callable[[], Service]
    ) -> None:
        self.folder = folder
        self.emulator = emulator
        self._make_service = make_service
        self._saves = folder.parent / f"{folder.name}-saved"
        self._saves.mkdir()

    def save(self, name: str) -> Start:
        """The folder and the account as they are now, with the requests logged since the
        log's last reset."""
        copy = self._saves / name
        shutil.copytree(self.folder, copy, symlinks=True)
        return Start(copy, self.emulator.service.export_state(), self.emulator.log.entries())

    def restore(self, start: Start) -> EmulatorServer:
        """Put the folder and the account back to `start`; the emulator serving it now (a new
        one on the same port, so the stack's base URL still points at it)."""
        port = self.emulator.port
        self.emulator.stop()
        service = self._make_service()
        service.import_state(start.account)
        self.emulator = EmulatorServer(service, port=port).start()
        _replace_folder(self.folder, start.files)
        return self.emulator

    def close(self) -> None:
        """Stop the emulator and drop the saved copies."""
        self.emulator.stop()
        shutil.rmtree(self._saves, ignore_errors=True)


class SharedStack:
    """A StackHarness made once, with its empty start saved; `fresh` and `restore` hand it to
    a test as if just made (or just brought to a saved start)."""

    def __init__(
        self,
        folder: Path,
        pulumi_home: Path,
        make_service: Callable[[], Service],
        token: str,
        namespace: str,
    ) -> None:
        self.token = token
        emulator = EmulatorServer(make_service()).start()
        self.harness = StackHarness.create(folder, pulumi_home, emulator, token, namespace)
        self.starts = SavedStarts(folder, emulator, make_service)
        self.empty = self.starts.save("empty")

    def save(self, name: str) -> Start:
        """The stack and account as they are now."""
        return self.starts.save(name)

    def restore(self, start: Start) -> StackHarness:
        """The harness at `start`, with no program, output or log of an earlier test."""
        self.harness.emulator = self.starts.restore(start)
        self.harness.output.clear()
        self.harness.declared = []
        self.harness.program = None
        return self.harness

    def fresh(self) -> StackHarness:
        """The harness as `StackHarness.create` leaves it, on an empty account."""
        return self.restore(self.empty)

    def close(self) -> None:
        """Stop the emulator; the folder is the module's temporary one."""
        self.starts.close()
        self.harness.remove()


def module_token() -> str:
    """A fresh access token per module's shared stack, so a leak is traceable to its module."""
    return f"tok-{secrets.token_hex(12)}"


def shared_stack_fixture(make_service: Callable[[str], Service], namespace: str) -> Any:
    """A module's `shared` fixture (`shared = shared_stack_fixture(...)` at module level): one
    SharedStack for the module, on a service made with a token of the module's own, closed when
    the module is done."""

    @pytest.fixture(scope="module")
    def shared(
        tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
    ) -> Iterator[SharedStack]:
        token = module_token()
        made = SharedStack(
            tmp_path_factory.mktemp("stack"),
            pulumi_home,
            lambda: make_service(token),
            token,
            namespace,
        )
        yield made
        made.close()

    return shared


def fresh_stack_fixture() -> Any:
    """A module's `stack` fixture (`stack = fresh_stack_fixture()`): the module's SharedStack as
    `stack init` and its config leave it, on an empty account."""

    @pytest.fixture
    def stack(shared: SharedStack) -> StackHarness:
        return shared.fresh()

    return stack
