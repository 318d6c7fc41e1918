"""A runner killed while the CLI saves a file backend's checkpoint can leave the checkpoint's
metadata file (`<stack>.json.attrs`, written in place by the CLI's blob library, where the
checkpoint itself is written to a temporary file and renamed) empty; every later command then
fails with `failed to load checkpoint: EOF`. The recovery docs/troubleshooting.md gives (delete
that file: metadata only, written again at the next save) must work."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests import processes
from tests.engine import TOOLS_BIN
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e


def test_an_emptied_checkpoint_metadata_file_fails_every_command_until_it_is_deleted(
    tmp_path: Path, pulumi_home: Path
) -> None:
    project, state = tmp_path / "project", tmp_path / "state"
    project.mkdir()
    state.mkdir()
    (project / "Pulumi.yaml").write_text("name: torn\nruntime: python\n")
    env = {
        **processes.run_mark(),
        "PATH": f"{TOOLS_BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_BACKEND_URL": state.as_uri(),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        **{k: os.environ[k] for k in ("VAULT_SERVER_URL", "VAULT_SERVER_TOKEN")},
    }

    def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(TOOLS_BIN / "pulumi"), *args, "--non-interactive", "--cwd", str(project)]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    made = pulumi("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)
    assert made.returncode == 0, made.stderr
    assert pulumi("stack", "export").returncode == 0
    [metadata] = state.glob(".pulumi/stacks/torn/dev.json.attrs")
    metadata.write_bytes(b"")  # what a kill between its truncation and its write leaves

    torn = pulumi("stack", "export")
    assert torn.returncode != 0
    assert "failed to load checkpoint: EOF" in torn.stderr, torn.stderr

    metadata.unlink()  # the documented recovery
    recovered = pulumi("stack", "export")
    assert recovered.returncode == 0, recovered.stderr
    assert json.loads(recovered.stdout)["version"] == 3  # the checkpoint itself was intact
