"""The CLI the toolchain builds (tools/setup-toolchain.sh): zxcvbn-go's word lists load on first
use instead of at every start (tools/pulumi-cli/lazy_wordlists.py), and still judge values."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.engine import TOOLS_BIN, PulumiCli
from tests.vault import SECRETS_PROVIDER

RANDOM_TOKEN = "Xk9#mQ2$vL8pZ4wR7tY1aB"
WORDS = "correcthorsebatterystaple"
"""The CLI checks a value's first 16 characters ("correcthorsebatt"): by brute force about 75
bits at 4.7 a character, which its 40-bit, 3-a-character rule calls a secret; only the English
word list makes it weak, so it is stored only if the lists were loaded."""


def test_config_set_still_refuses_a_random_token_and_takes_a_phrase_of_words(
    tmp_path: Path, pulumi_home: Path
) -> None:
    """`pulumi config set` on a key named like a secret: a random value is refused as looking
    like one, a phrase of dictionary words is stored (the word lists loaded when needed)."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "Pulumi.yaml").write_text("name: words\nruntime: yaml\n")
    cli = PulumiCli(tmp_path, pulumi_home, source)
    cli("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)

    refused = cli.run("config", "set", "demo:apiToken", RANDOM_TOKEN)
    assert refused.returncode != 0
    assert "config value for 'demo:apiToken' looks like a secret" in refused.stderr

    cli("config", "set", "demo:apiToken", WORDS)
    assert cli("config", "get", "demo:apiToken").strip() == WORDS


def test_the_built_cli_starts_without_decoding_word_lists(pulumi_home: Path) -> None:
    """Go's init trace of `pulumi version`: zxcvbn-go's word-list packages allocate next to
    nothing at start (decoding the lists took 10 MB each for `frequency`, 8 MB for `matching`,
    and 220 ms of CPU together, of 330 ms for all packages)."""
    if not (TOOLS_BIN / "pulumi.built-from").exists():
        pytest.skip("the toolchain uses a pulumi found on PATH, not one it built")
    done = subprocess.run(
        [str(TOOLS_BIN / "pulumi"), "version"],
        env={**os.environ, "GODEBUG": "inittrace=1", "PULUMI_HOME": str(pulumi_home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # init github.com/nbutton23/zxcvbn-go/frequency @251 ms, 0.001 ms clock, 48 bytes, 1 allocs
    allocated = {
        found.group(1): int(found.group(2))
        for found in re.finditer(
            r"^init (\S+zxcvbn-go/(?:frequency|matching)) .* (\d+) bytes", done.stderr, re.M
        )
    }
    assert len(allocated) == 4, done.stderr[-2000:]  # two packages in each of two copies
    assert {name: size for name, size in allocated.items() if size > 1_000_000} == {}
