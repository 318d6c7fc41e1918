"""The Go binaries tools/setup-toolchain.sh keeps per machine: only the two newest builds of a
name stay, so each change to the CLI's inputs does not leave another 160 MB behind."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "setup-toolchain.sh"


def prune_kept(kept: Path, env: dict[str, str] | None = None) -> None:
    """Run the script's own `prune_kept` (its text, not a copy) on `kept`."""
    found = re.search(r"^prune_kept\(\) \{.*?^\}$", SCRIPT.read_text(), re.M | re.S)
    assert found, "prune_kept is gone from setup-toolchain.sh"
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", f'{found.group(0)}\nprune_kept "$1"', "-", str(kept)],
        env={**os.environ, **(env or {})},
        check=True,
        timeout=30,
    )


def test_only_the_two_newest_builds_of_a_name_stay(tmp_path: Path) -> None:
    """Four CLI builds: the two newest stay; another name's build (its name starts the same)
    and a copy being put in place are not the CLI's builds and are left alone."""
    cli = [tmp_path / f"pulumi-{n:016x}" for n in range(4)]
    others = [tmp_path / f"pulumi-language-yaml-{0:016x}", tmp_path / f"pulumi-{9:016x}.4242"]
    for age, path in enumerate([*cli, *others]):
        path.write_bytes(b"binary")
        os.utime(path, (1_000_000 + age, 1_000_000 + age))

    prune_kept(cli[3])

    assert sorted(tmp_path.iterdir()) == sorted([cli[2], cli[3], *others])


def test_a_lone_build_is_kept(tmp_path: Path) -> None:
    only = tmp_path / f"pulumi-{7:016x}"
    only.write_bytes(b"binary")

    prune_kept(only)

    assert list(tmp_path.iterdir()) == [only]


def test_a_path_with_a_space_is_pruned_whatever_the_users_ls_quoting(tmp_path: Path) -> None:
    """GNU ls quotes such names for a user with QUOTING_STYLE set; the names read must not be."""
    cache = tmp_path / "my cache"
    cache.mkdir()
    builds = [cache / f"pulumi-{n:016x}" for n in range(3)]
    for age, path in enumerate(builds):
        path.write_bytes(b"binary")
        os.utime(path, (1_000_000 + age, 1_000_000 + age))

    prune_kept(builds[2], {"QUOTING_STYLE": "shell-escape"})

    assert sorted(cache.iterdir()) == builds[1:]


def test_every_setup_that_keeps_a_build_prunes_that_name() -> None:
    """A function that keeps a Go build under its inputs' key (`kept_binary`) prunes the builds
    kept under that name (`prune_kept "$kept"`), at its own level, so on the path that builds and
    on the one that reuses alike."""
    text = SCRIPT.read_text()
    starts = list(re.finditer(r"^(\w+)\(\) \{", text, re.M))
    ends = [found.start() for found in starts[1:]] + [len(text)]
    bodies = {
        found.group(1): text[found.end() : end] for found, end in zip(starts, ends, strict=True)
    }
    keeping = {name: body for name, body in bodies.items() if '="$(kept_binary ' in body}
    assert sorted(keeping) == ["setup_language_yaml", "setup_pulumi_cli"]
    for name, body in keeping.items():
        kept = re.findall(r'^\s*keep_binary \S+ ("\$\w+")$', body, re.M)
        pruned = re.findall(r"^  prune_kept (\S+)$", body, re.M)
        assert kept and pruned == kept, f"{name} keeps {kept} but prunes {pruned}"
        after_key = body[body.index('="$(kept_binary ') :]
        prune_at = after_key.index(f"  prune_kept {kept[0]}")
        # after both branches (the build's and the reuse's), with no way out before it
        assert after_key.rindex("\n  fi\n", 0, prune_at) > after_key.index("keep_binary ")
        assert not re.search(r"\breturn\b", after_key[:prune_at]), f"{name} returns first"
