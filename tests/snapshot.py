"""A stack and its emulator saved once after a setup `up`, restored before each test that
starts from it: the test starts where a fresh emulator, stack and setup `up` would leave it, for
none of the engine runs (`stack init`, `config set-all`, `up`) that setup costs."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.server import Service


def renew_emulator(server: EmulatorServer, fresh: Service, account: dict[str, Any]) -> None:
    """Make the running emulator (same port, so the stack's config and the provider's memory
    still point at it) what a fresh one holding `account` is: every attribute of the service
    from `fresh` (counters, cursors, search and daily limits), the account imported, the log
    empty, no fault left, a full rate budget."""
    vars(server.service).update(vars(fresh))
    server.service.import_state(account)
    server.log.reset()
    server.faults.clear()
    server.budget.configure(fresh.rate_limit, fresh.rate_window_seconds)
    server.budget.refused = 0


@dataclass
class Snapshot:
    """A stack's work folder (project, stack config, file backend with the provider's memory
    beside it, token cache) and its emulator's account, as they were when taken."""

    work_dir: Path
    saved: Path
    account: dict[str, Any]

    @classmethod
    def take(cls, work_dir: Path, saved: Path, server: EmulatorServer) -> Snapshot:
        """Copy the work folder to `saved` and export the emulator's account."""
        shutil.copytree(work_dir, saved)
        return cls(work_dir, saved, server.service.export_state())

    def restore(self, server: EmulatorServer, fresh: Service) -> None:
        """Put the work folder and the emulator back as they were taken (a lock or a pending
        operation a failed run left goes with the rest)."""
        shutil.rmtree(self.work_dir)
        shutil.copytree(self.saved, self.work_dir)
        renew_emulator(server, fresh, self.account)


def file_backend_deployment(backend: Path, project: str, stack: str) -> dict[str, Any]:
    """The stack's latest deployment as the file backend holds it: what `pulumi stack export`
    prints as `deployment`, read without a CLI run (about 0.6 CPU-second each)."""
    saved = backend / ".pulumi" / "stacks" / project / f"{stack}.json"
    checkpoint = json.loads(saved.read_text())
    latest: dict[str, Any] = checkpoint["checkpoint"].get("latest") or {}
    return latest
