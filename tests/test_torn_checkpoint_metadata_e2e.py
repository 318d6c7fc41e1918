"""A runner killed while the CLI saves a file backend's checkpoint can leave the checkpoint's
metadata file (`<stack>.json.attrs`, written in place by the CLI's blob library, where the
checkpoint itself is written to a temporary file and renamed) empty; every later command then
fails with `failed to load checkpoint: EOF`. The recovery docs/troubleshooting.md gives (delete
that file: metadata only, written again at the next save) must work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine import PulumiCli
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e


def test_an_emptied_checkpoint_metadata_file_fails_every_command_until_it_is_deleted(
    tmp_path: Path, pulumi_home: Path
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "Pulumi.yaml").write_text("name: torn\nruntime: python\n")
    pulumi = PulumiCli(tmp_path, pulumi_home, source)
    pulumi("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)
    pulumi("stack", "export")
    [metadata] = (tmp_path / "state").glob(".pulumi/stacks/torn/dev.json.attrs")
    metadata.write_bytes(b"")  # what a kill between its truncation and its write leaves

    torn = pulumi.run("stack", "export")
    assert torn.returncode != 0
    assert "failed to load checkpoint: EOF" in torn.stderr, torn.stderr

    metadata.unlink()  # the documented recovery
    assert json.loads(pulumi("stack", "export"))["version"] == 3  # the checkpoint was intact
