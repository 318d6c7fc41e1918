"""The docs site cannot rot: it builds with `mkdocs build --strict`, its generated reference
matches the code, every `stages.yaml` sample in the docs and the README validates against the
stage set's model (file, line and field on failure), every other YAML sample parses, every
Python sample compiles, and each resource page's example runs its constructors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest
import yaml

from pulumi_stages.core.registry import adapters
from pulumi_stages.stageset.source import load_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.rglob("*.md"), ROOT / "README.md"])
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLES = sorted((DOCS / "examples").glob("*.py"))


def samples(language: str) -> list[tuple[str, str]]:
    """(page:line, text) of every fenced sample in that language."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in FENCE.finditer(text):
            if match.group(1) == language:
                line = text.count("\n", 0, match.start()) + 2
                found.append((f"{page.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert built.returncode == 0, built.stderr[-3000:]
    assert (tmp_path / "reference" / "hubspot" / "DealStage" / "index.html").exists()


def test_the_generated_reference_matches_the_code() -> None:
    checked = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "docs_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_resource_has_a_page_and_an_example() -> None:
    for crm in adapters():
        pages = {p.stem for p in (DOCS / "reference" / crm).glob("*.md")}
        assert pages, f"no reference pages for {crm}"
        for page in pages:
            assert (DOCS / "examples" / f"{crm}_{page}.py").exists(), f"{crm}.{page}: no example"


YAML_SAMPLES = samples("yaml")
STAGE_SETS = {"outreach", "capsule", "hubspot"}


@pytest.mark.parametrize(("where", "text"), YAML_SAMPLES, ids=[w for w, _ in YAML_SAMPLES])
def test_yaml_samples_parse_and_stage_sets_validate(where: str, text: str) -> None:
    data = yaml.safe_load(text)
    if isinstance(data, dict) and data and set(data) <= STAGE_SETS:
        load_text(text, where)  # raises naming file, line and field


PYTHON_SAMPLES = samples("python")


@pytest.mark.parametrize(("where", "text"), PYTHON_SAMPLES, ids=[w for w, _ in PYTHON_SAMPLES])
def test_python_samples_compile(where: str, text: str) -> None:
    compile(text, where, "exec")


class Mocks(pulumi.runtime.Mocks):
    """Resources answer with their inputs: enough to run constructors, never a provider."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, object]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, object], None]:
        return {}, None


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_resource_examples_run_their_constructors(example: Path) -> None:
    """The constructors take the example's arguments (a renamed argument fails here); mocks
    never run a dynamic provider, so this checks the program's shape, not the CRM."""
    pulumi.runtime.set_mocks(Mocks(), project="docs", stack="docs", preview=False)
    exec(compile(example.read_text(), str(example), "exec"), {"__name__": "__main__"})
