"""Setting up a plain-`pulumi` test stack with fewer CLI runs: config written into its settings
file (tests/new_stack.py), and a starting state the engine made once, saved and restored
(folders and the emulator's account)."""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_stages.emulator import EmulatorServer
from tests import new_stack
from tests.engine import PulumiCli
from tests.vault import SECRETS_PROVIDER


def init_stack(pulumi: PulumiCli, name: str, plain: dict[str, str], secret: dict[str, str]) -> None:
    """`pulumi stack init`, then every config value written into the stack's settings file as
    `pulumi config set-all` writes them (tests/new_stack.py), with no second CLI start."""
    pulumi("stack", "init", name, "--secrets-provider", SECRETS_PROVIDER)
    new_stack.set_config(pulumi.stack_settings(name), plain, secret)


@dataclass
class SavedStart:
    """A starting state the engine reached once in `pulumi`'s folder: the project and backend
    folders (stack config, state, the provider's memory beside it, files such as a saved plan)
    and the emulator's account, saved. Restoring puts them back in the same folder (the CLI keeps
    a project's selected stack by its path) and costs no CLI run."""

    pulumi: PulumiCli
    emulator: EmulatorServer
    saved: Path
    account: dict[str, Any]

    @classmethod
    def save(cls, pulumi: PulumiCli, emulator: EmulatorServer, to: Path) -> SavedStart:
        """Copy the folder `pulumi` works in (its project's parent) to `to`, and the account."""
        shutil.copytree(pulumi.project.parent, to)
        return cls(pulumi, emulator, to, emulator.service.export_state())

    @property
    def folder(self) -> Path:
        """Where the start was made and is restored: the project's parent."""
        return self.pulumi.project.parent

    def restore(self) -> PulumiCli:
        """The saved folder and account back in place, the emulator's log and faults empty,
        the CLI's transcript empty."""
        shutil.rmtree(self.folder)
        shutil.copytree(self.saved, self.folder)
        self.emulator.service.import_state(copy.deepcopy(self.account))
        self.emulator.log.reset()
        self.emulator.faults.clear()
        self.pulumi.transcript.clear()
        return self.pulumi
