"""Copies of zxcvbn-go's modules that load their word lists on first use, for `go mod edit`.

The CLI links two copies of zxcvbn-go (`pulumi config set` and `esc env set` use it to warn
that a plain value looks like a secret). Each decodes five word lists and builds their matchers
in package init, so every CLI start spends about 220 ms of CPU on them (GODEBUG=inittrace=1:
frequency 86 + 72 ms, matching 32 + 30 ms, of 330 ms for all packages) whether or not the
command checks a value. The copies move that work into the first strength check; the check
itself is unchanged. Only the two files below change, and only by the edits in EDITS: a module
whose text differs stops the build here rather than building something else. (`go build -overlay`
would need no copies, but Go refuses to overlay files in the module cache.)

Usage: lazy_wordlists.py OUT_DIR PATH=DIR...  (module path and its folder, as `go list -m` gives
them); prints one `-replace=PATH=COPY` argument for `go mod edit` per module.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

EDITS: dict[str, list[tuple[str, str]]] = {
    "frequency/frequency.go": [  # matching's loadOnce is Load's only caller
        (
            "\nfunc init() {\n",
            "\n// Load fills Lists (pulumi-stages: on first use instead of at every start).\n"
            "func Load() {\n",
        ),
    ],
    "matching/matching.go": [
        ('import (\n\t"sort"\n', 'import (\n\t"sort"\n\t"sync"\n'),
        ("func init() {\n\tloadFrequencyList()\n}\n", "var loadOnce sync.Once\n"),
        (
            "\tif dictionaryMatchers == nil || adjacencyGraphs == nil {\n"
            "\t\tloadFrequencyList()\n\t}\n",
            "\tloadOnce.Do(loadFrequencyList)\n",
        ),
        ("func loadFrequencyList() {\n", "func loadFrequencyList() {\n\tfrequency.Load()\n"),
    ],
}


def edited(text: str, edits: list[tuple[str, str]], where: Path) -> str:
    """`text` with each edit applied to its one occurrence."""
    for old, new in edits:
        if text.count(old) != 1:
            raise SystemExit(f"{where}: expected one {old!r}; the module is not the one patched")
        text = text.replace(old, new)
    return text


def lazy_copy(path: str, module: Path, out: Path) -> Path:
    """A writable copy of `module` with EDITS applied (and a go.mod, which a replacement folder
    needs and a module from before Go modules lacks)."""
    copy = out / path
    shutil.copytree(module, copy, copy_function=shutil.copyfile)
    for folder in [copy, *(p for p in copy.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)  # copied from the module cache, where folders are read-only
    for name, edits in EDITS.items():
        target = copy / name
        target.write_text(edited(target.read_text(), edits, module / name))
    if not (copy / "go.mod").exists():
        (copy / "go.mod").write_text(f"module {path}\n\ngo 1.13\n")
    return copy


def main(out: Path, modules: list[str]) -> list[str]:
    """The `go mod edit` arguments that build against the lazy copies."""
    replaces = []
    for module in modules:
        path, _, folder = module.partition("=")
        replaces.append(f"-replace={path}={lazy_copy(path, Path(folder), out)}")
    return replaces


if __name__ == "__main__":
    print("\n".join(main(Path(sys.argv[1]), sys.argv[2:])))
