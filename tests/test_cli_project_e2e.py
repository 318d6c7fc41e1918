"""The root Pulumi.yaml project (the demo stage set) under plain `pulumi` commands, as users run it.

The project's two files are copied to a temporary folder so the stack's config file lands there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pulumi_stages.emulator import EmulatorServer
from tests.engine import PASSPHRASE, ROOT

pytestmark = pytest.mark.e2e

DEMO_STAGES = 6


class PulumiCli:
    """Runs `pulumi` in a copy of the root project with a throwaway backend."""

    def __init__(self, tmp_path: Path, pulumi_home: Path) -> None:
        backend = tmp_path / "state"
        backend.mkdir()
        self.project = tmp_path / "project"
        self.project.mkdir()
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / name, self.project / name)
        self.config_file = self.project / "Pulumi.cli-test.yaml"
        self.env = {
            **os.environ,
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_HOME": str(pulumi_home),
        }
        self.transcript: list[str] = []

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        command = ["pulumi", *args, "--non-interactive", "--cwd", str(self.project)]
        done = subprocess.run(
            command, env=self.env, input=stdin, capture_output=True, text=True, check=False
        )
        self.transcript += [done.stdout, done.stderr]
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def test_plain_pulumi_commands_apply_the_demo_stage_set(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home)
    pulumi("stack", "init", "cli-test")
    pulumi("config", "set", "outreach:baseUrl", outreach.base_url)
    pulumi("config", "set", "--secret", "outreach:accessToken", stdin=f"{token}\n")
    assert token not in pulumi.config_file.read_text()

    preview = pulumi("preview", "--diff")
    assert f"+ {DEMO_STAGES + 1} to create" in preview
    assert outreach.log.count() == 0

    pulumi("up", "--yes", "--skip-preview")
    assert outreach.log.counts() == {"POST /api/v2/stages": DEMO_STAGES}
    names = [s.name for s in sorted(outreach.service.state.listing(), key=lambda s: s.order)]  # type: ignore[attr-defined]
    assert names[:2] == ["Prospecting", "Qualified Lead"]
    assert len(names) == DEMO_STAGES

    outreach.log.reset()
    pulumi("preview", "--expect-no-changes")
    assert outreach.log.count() == 0

    exported = pulumi("stack", "export")
    assert token not in exported
    assert token not in "\n".join(pulumi.transcript)

    pulumi("destroy", "--yes", "--skip-preview")
    assert outreach.service.state.listing() == []  # type: ignore[attr-defined]
