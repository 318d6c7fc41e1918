"""The SDKs generated from the package schema: each language has every resource, documented; the
TypeScript sample type-checks (tsc --noEmit) and the Go sample builds (go build) against them; the
Python SDK installs, imports, and runs a program through the engine (the one language host here).
C# is not generated here (docs/sdks.md says why)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages.emulator import EmulatorServer
from tests import sdk_toolchain
from tests.engine import ROOT, PulumiCli
from tests.sdk_toolchain import generate, go_env, install_python_sdk, run_step, sample_beside_sdks
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.sdks


@pytest.fixture(scope="module")
def schema_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The provider package's schema, as `make sdks` takes it."""
    path = tmp_path_factory.mktemp("schema") / "schema.json"
    argv = [sys.executable, "-m", "pulumi_stages.package.schema"]
    printed = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    path.write_text(printed.stdout)
    return path


@pytest.fixture(scope="module")
def schema(schema_path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_path.read_text())
    return loaded


@pytest.fixture(scope="module")
def sdks(schema_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SDKs generated once for this module's tests."""
    out = tmp_path_factory.mktemp("sdk")
    finished = generate(schema_path, out)
    assert finished.returncode == 0, finished.output
    return out


@pytest.fixture(scope="module")
def python_sdk(sdks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated Python SDK pip-installed once for this module's tests: the folder to put
    on PYTHONPATH."""
    site = tmp_path_factory.mktemp("python-sdk") / "site"
    installed = install_python_sdk(sdks, site)
    assert installed.returncode == 0, installed.output
    return site


def _camel(name: str) -> str:
    return name[0].lower() + name[1:]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _files_of(token: str, package: str) -> dict[str, Path]:
    """Where each generator puts the class of the resource `token` (index is the root module)."""
    _, module, name = token.split(":")
    folder = Path() if module == "index" else Path(module)
    return {
        "nodejs": Path("nodejs") / folder / f"{_camel(name)}.ts",
        "go": Path("go") / package / folder / f"{_camel(name)}.go",
        "python": Path("python") / f"pulumi_{package}" / folder / f"{_snake(name)}.py",
    }


def test_each_sdk_has_every_resource_of_the_schema_with_its_descriptions(
    schema: dict[str, Any], sdks: Path
) -> None:
    missing = []
    undocumented = []
    for token, resource in schema["resources"].items():
        for language, file in _files_of(token, schema["name"]).items():
            if not (sdks / file).is_file():
                missing.append(f"{language}: {token} ({file})")
                continue
            text = (sdks / file).read_text()
            for name, spec in resource["inputProperties"].items():
                # the generators rewrap long descriptions: the first line is kept whole
                if spec["description"].splitlines()[0] not in text:
                    undocumented.append(f"{language}: {token}.{name}")
    assert not missing, missing
    assert not undocumented, undocumented


def test_regenerating_removes_the_files_of_a_resource_the_schema_dropped(
    schema: dict[str, Any], sdks: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sdk"  # what generating the full schema wrote (one generator run less)
    shutil.copytree(sdks, out, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    dropped = "crmstages:hubspot:TicketStage"
    kept = {token: r for token, r in schema["resources"].items() if token != dropped}
    smaller = {**schema, "resources": kept}
    (tmp_path / "smaller.json").write_text(json.dumps(smaller))

    finished = generate(tmp_path / "smaller.json", out)

    assert finished.returncode == 0, finished.output
    left = [f for f in _files_of(dropped, schema["name"]).values() if (out / f).exists()]
    assert not left, left


WRONG_TYPE = """\
import * as crmstages from "@pulumi-stages/crmstages";
new crmstages.hubspot.DealStage("won", { name: "Won", pipeline: "Sales", probability: "high" });
"""


def test_typescript_sample_type_checks_against_the_generated_sdk(
    sdks: Path, tmp_path: Path
) -> None:
    """One tsc run: the sample and the SDK's own sources check clean, and a program passing a
    string for a number is refused, so the SDK's types are really in play."""
    packages = sdk_toolchain.typescript_packages()
    sample = sample_beside_sdks("typescript", sdks, tmp_path / "checkout")
    (sample / "node_modules").symlink_to(packages, target_is_directory=True)
    (sample / "wrong_type.ts").write_text(WRONG_TYPE)
    tsconfig = sample / "tsconfig.json"
    files = tsconfig.read_text().replace('["index.ts"]', '["index.ts", "wrong_type.ts"]')
    tsconfig.write_text(files)

    tsc = packages / "typescript" / "bin" / "tsc"
    argv: list[str | Path] = ["node", tsc, "--noEmit", "-p", "."]
    checked = run_step("tsc --noEmit", argv, sample, dict(os.environ))

    errors = [line for line in checked.output.splitlines() if "error TS" in line]
    assert errors, checked.output
    assert all(line.startswith("wrong_type.ts(2,") for line in errors), checked.output
    assert "Type 'string' is not assignable to type 'Input<number" in errors[0], checked.output


def test_go_sample_builds_against_the_generated_sdk(sdks: Path) -> None:
    with sdk_toolchain.locked(sdk_toolchain.GO_WORK.with_suffix(".lock")):
        sample = sample_beside_sdks("go", sdks, sdk_toolchain.GO_WORK)

        argv = ["go", "build", "-o", os.devnull, "."]
        built = run_step("go build (Go sample)", argv, sample, go_env())

    assert built.returncode == 0, built.output


IMPORT_SDK = """\
import importlib, json, sys
from importlib import resources
import pulumi
package, tokens = sys.argv[1], json.loads(sys.argv[2])
found = []
for token in tokens:
    _, module, name = token.split(":")
    where = package if module == "index" else f"{package}.{module}"
    cls = getattr(importlib.import_module(where), name)
    if issubclass(cls, (pulumi.CustomResource, pulumi.ComponentResource)):
        found.append(token)
outreach = importlib.import_module(f"{package}.outreach")
args = outreach.StageArgs(name="Qualified", color="#2e7d32")
plugin = json.loads(resources.files(package).joinpath("pulumi-plugin.json").read_text())
print(json.dumps({"found": found, "args": [args.name, args.color], "plugin": plugin}))
"""


def test_python_sdk_installs_imports_and_names_the_crmstages_plugin(
    schema: dict[str, Any], python_sdk: Path
) -> None:
    tokens = list(schema["resources"])
    argv = [sys.executable, "-c", IMPORT_SDK, f"pulumi_{schema['name']}", json.dumps(tokens)]
    env = {**os.environ, "PYTHONPATH": str(python_sdk)}

    imported = subprocess.run(
        argv, check=False, env=env, capture_output=True, text=True, timeout=120
    )

    assert imported.returncode == 0, imported.stderr
    seen = json.loads(imported.stdout)
    assert seen["found"] == tokens
    assert seen["args"] == ["Qualified", "#2e7d32"]
    # the engine loads pulumi-resource-<name> for the SDK's resources
    expected = {"resource": True, "name": schema["name"], "version": schema["version"]}
    assert seen["plugin"] == expected


@pytest.mark.e2e
def test_a_python_program_on_the_generated_sdk_runs_through_the_engine(
    python_sdk: Path, tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    """The one SDK whose language host runs here, end to end: up creates the stage through
    pulumi-resource-crmstages, the next preview is empty, destroy deletes it."""
    (tmp_path / "run").mkdir()
    pulumi = PulumiCli(tmp_path / "run", pulumi_home, ROOT / "tests" / "projects" / "python_sdk")
    pulumi.env["PYTHONPATH"] = str(python_sdk)
    pulumi("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)
    pulumi("config", "set", "crmstages:outreachBaseUrl", outreach.base_url)
    pulumi("config", "set", "--secret", "crmstages:outreachAccessToken", stdin=f"{token}\n")
    state = outreach.service.state  # type: ignore[attr-defined]

    pulumi("up", "--yes", "--skip-preview")
    created = [(s.id, s.name, s.color) for s in state.listing()]
    outputs = json.loads(pulumi("stack", "output", "--json"))
    pulumi("preview", "--expect-no-changes")
    pulumi("destroy", "--yes", "--skip-preview")

    assert created == [(outputs["stageId"], "Qualified", "#2e7d32")]
    assert state.listing() == []
    assert not any(token in text for text in pulumi.transcript)
