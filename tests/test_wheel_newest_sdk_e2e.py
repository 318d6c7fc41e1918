"""The package as a team installs it: the built wheel in a fresh virtualenv with the newest Pulumi
SDK the package index serves (not the pinned one), and with the oldest SDK pyproject.toml allows,
running a project outside this repository through the engine: create, no-op, change, destroy.

It needs the package index; an install that fails fails the test (it is never skipped).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pulumi_stages.emulator import EmulatorServer
from tests import processes
from tests.engine import PASSPHRASE, ROOT, TOOLS_BIN
from tests.sdk_toolchain import locked

pytestmark = pytest.mark.e2e

PINNED = next(
    line.split("==")[1].strip()
    for line in (ROOT / "constraints.txt").read_text().splitlines()
    if line.startswith("pulumi==")
)
STAGES = """\
outreach:
  stages:
    - name: Lead
      color: "#9e9e9e"
    - name: Qualified
      color: "#5951ff"
    - name: Won
      color: "#2ecc71"
"""
PROGRAM = """\
import importlib.metadata

import pulumi

import pulumi_stages
from pulumi_stages.stageset import StageSet

sales = StageSet.from_file("pipeline", "stages.yaml")
pulumi.export("sdk", importlib.metadata.version("pulumi"))
pulumi.export("from_wheel", "site-packages" in pulumi_stages.__file__)
"""


def run(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a command; fail the test with its output if it fails."""
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def newest_on_index() -> str:
    """The newest pulumi release below 4 the package index lists (pip's own answer)."""
    listing = run([sys.executable, "-m", "pip", "index", "versions", "pulumi"])
    versions = re.search(r"Available versions: (.*)", listing)
    assert versions, listing
    below_4 = [v for v in versions.group(1).split(", ") if re.fullmatch(r"3\.\d+\.\d+", v)]
    return max(below_4, key=lambda v: tuple(int(p) for p in v.split(".")))


OLDEST = "3.216.0"
"""The oldest SDK pyproject.toml allows (its dynamic ReadResult is the first to take `inputs`)."""


def sources(folder: Path) -> str:
    """A copy of what the wheel is built from, outside the checkout: a build leaves `build/` and
    `*.egg-info` beside its sources."""
    copy = folder / "sources"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(
        ROOT / "provider",
        copy / "provider",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    return str(copy)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built once per test session (7 CPU-s a build): under pytest-xdist
    the first worker builds it into the session's shared folder, under a lock, and the others
    take it."""
    base = tmp_path_factory.getbasetemp()
    session = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = session / "pulumi-stages-wheel"
    with locked(folder.with_suffix(".lock")):
        built = list((folder / "wheels").glob("pulumi_stages-*.whl"))
        if not built:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
            run([*argv, "-w", str(folder / "wheels"), sources(folder)])
            built = list((folder / "wheels").glob("pulumi_stages-*.whl"))
    [found] = built
    return found


SHOW_INSTALLED = """\
import importlib.metadata, pulumi_stages
print(importlib.metadata.version("pulumi"))
print(pulumi_stages.__file__)
"""


UV = ROOT / ".tools" / "uv"
"""The uv `make setup` installs the virtualenv with (tools/setup-toolchain.sh links it here)."""


def uv_environment() -> dict[str, str]:
    """This environment with pip's index settings passed on to uv, as setup passes them (uv
    reads none of pip's)."""
    env = dict(os.environ)
    for pip_name, uv_name in (
        ("PIP_INDEX_URL", "UV_INDEX_URL"),
        ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL"),
        ("PIP_CERT", "SSL_CERT_FILE"),
    ):
        if env.get(pip_name):
            env.setdefault(uv_name, env[pip_name])
    if env.get("PIP_FIND_LINKS"):  # pip's are space-separated, uv's comma-separated
        env.setdefault("UV_FIND_LINKS", ",".join(env["PIP_FIND_LINKS"].split()))
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def install_with_uv(python: Path, packages: list[str]) -> bool:
    """Whether setup's uv installed the packages into `python`'s environment (it says why
    not: no uv linked, or an index it cannot reach)."""
    if not UV.exists():
        print(f"{UV} is not there (make setup links it), so pip installs")
        return False
    uv = [str(UV), "pip", "install", "--quiet", "--python", str(python), *packages]
    by_uv = subprocess.run(uv, capture_output=True, text=True, env=uv_environment(), check=False)
    if by_uv.returncode != 0:
        print(f"uv could not install them, so pip does:\n{by_uv.stderr}")
    return by_uv.returncode == 0


def install(tmp_path: Path, wheel: Path, sdk: str) -> tuple[Path, str]:
    """Install the wheel and pulumi==`sdk` into a fresh virtualenv: its Python and the SDK
    version installed. uv installs them (about 1 CPU-s, where pip took 15 unpacking grpcio and
    the rest), or pip where uv cannot reach the index (a pip.conf, which uv does not read). The
    virtualenv gets no pip of its own, and byte-compiling is left to the imports that need it
    (compiling every installed module costs 20 CPU-s)."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    wanted = newest_on_index() if sdk == "newest" else sdk
    packages = [str(wheel), f"pulumi=={wanted}"]
    if not install_with_uv(python, packages):
        pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
        run([*pip, "--no-compile", *packages])
    installed, where = run([str(python), "-c", SHOW_INSTALLED]).splitlines()
    print(f"wheel {wheel.name}; pulumi SDK installed {installed} (pinned {PINNED})")
    assert installed == wanted
    assert where.startswith(str(venv))  # the wheel, not this checkout
    return python, installed


class TeamProject:
    """A Pulumi project outside this repository whose Pulumi.yaml names its own virtualenv, run
    by the language host and dynamic-provider plugin the setup installs (as a user runs it)."""

    def __init__(self, tmp_path: Path, pulumi_home: Path, python: Path) -> None:
        self.folder = tmp_path / "team-project"
        self.folder.mkdir()
        venv = python.parent.parent
        (self.folder / "Pulumi.yaml").write_text(
            "name: team-stages\n"
            "runtime:\n"
            "  name: python\n"
            "  options:\n"
            "    toolchain: pip\n"
            f"    virtualenv: {os.path.relpath(venv, self.folder)}\n"
        )
        (self.folder / "__main__.py").write_text(PROGRAM)
        (self.folder / "stages.yaml").write_text(STAGES)
        (tmp_path / "state").mkdir()
        self.env = {
            **processes.run_mark(),
            "PATH": f"{TOOLS_BIN}{os.pathsep}/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PULUMI_HOME": str(pulumi_home),
            "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_STAGES_TOKEN_CACHE": str(tmp_path / "tokens"),
        }

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [str(TOOLS_BIN / "pulumi"), *args, "--non-interactive", "--cwd", str(self.folder)]
        return subprocess.run(
            command, input=stdin, capture_output=True, text=True, env=self.env, check=False
        )

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"pulumi {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def fails(self, *args: str) -> str:
        """The output of a command that must fail."""
        done = self.run(*args)
        assert done.returncode != 0, f"pulumi {' '.join(args)} should fail:\n{done.stdout}"
        print(done.stdout, done.stderr)
        return done.stdout + done.stderr


def diagnostics(output: str) -> list[str]:
    """The error lines of a failed command's Diagnostics section, as a user reads them."""
    section = output.split("Diagnostics:", 1)[-1].split("Resources:", 1)[0]
    lines = [line.strip() for line in section.splitlines()]
    summary = ("error: update failed", "error: preview failed")  # the engine's own, once
    return [line for line in lines if line.startswith("error:") and line not in summary]


@pytest.mark.parametrize("sdk", ["newest", OLDEST])
def test_built_wheel_runs_a_project_outside_the_repo_on_sdk(
    tmp_path: Path,
    pulumi_home: Path,
    outreach: EmulatorServer,
    token: str,
    *,
    wheel: Path,
    sdk: str,
) -> None:
    python, version = install(tmp_path, wheel, sdk)
    pulumi = TeamProject(tmp_path, pulumi_home, python)
    project = pulumi.folder

    pulumi("stack", "init", "dev")
    pulumi("config", "set", "outreach:baseUrl", outreach.base_url)
    pulumi("config", "set", "--secret", "outreach:accessToken", stdin=f"{token}\n")
    state = outreach.service.state  # type: ignore[attr-defined]

    outreach.log.reset()
    created = pulumi("up", "--yes", "--skip-preview")
    print(created)
    assert "6 created" in created  # stack, set, 3 stages, order
    assert re.search(rf'sdk *: "{re.escape(version)}"', created)  # the program ran on that SDK
    assert re.search(r"from_wheel *: true", created)  # its virtualenv's wheel, not this checkout
    assert outreach.log.counts() == {"POST /api/v2/stages": 3, "GET /api/v2/stages": 1}
    assert [s.name for s in sorted(state.listing(), key=lambda s: s.order)] == [
        "Lead",
        "Qualified",
        "Won",
    ]

    outreach.log.reset()
    pulumi("preview", "--expect-no-changes")
    refreshed = pulumi("refresh", "--yes", "--skip-preview")  # read() returns inputs, this SDK
    print(refreshed)
    planned = pulumi("preview", "--expect-no-changes", "--diff")  # the refresh kept every input
    assert "6 unchanged" in planned, planned
    assert outreach.log.writes() == []  # neither the previews nor the refresh wrote

    (project / "stages.yaml").write_text(STAGES.replace("#5951ff", "#1abc9c"))
    outreach.log.reset()
    changed = pulumi("up", "--yes", "--skip-preview")
    assert "1 updated" in changed
    [qualified] = [s.id for s in state.listing() if s.name == "Qualified"]
    assert [(w.method, w.body) for w in outreach.log.writes()] == [
        ("PATCH", {"data": {"type": "stage", "id": qualified, "attributes": {"color": "#1abc9c"}}})
    ]

    # One readable line per error, printed once, on this SDK too: a wrong token, a bad file.
    pulumi("config", "set", "--secret", "outreach:accessToken", stdin="tok-wrong-0123456789\n")
    (project / "stages.yaml").write_text(STAGES.replace("#1abc9c", "#5951ff"))
    refused = pulumi.fails("up", "--yes", "--skip-preview")
    assert "Traceback" not in refused
    [line] = diagnostics(refused)
    print(f"SDK {version}: {line}")
    assert line == (  # the change's diff reads the stage before any write (issue 20)
        f"error: Exception calling application: Outreach rejected GET /stages/{qualified}: "
        "The access token is missing, invalid or expired. (401 unauthorized); check "
        "outreach:accessToken (or OUTREACH_ACCESS_TOKEN); it may have expired. Nothing was "
        "changed: the check before any write could not read the stage it changes (a preview "
        "stops at this check as an `up` does)."
    )
    (project / "stages.yaml").write_text(STAGES.replace('color: "#9e9e9e"', "colour: red"))
    invalid = pulumi.fails("preview")
    assert diagnostics(invalid) == [
        "error: stages.yaml:4: outreach.stages[0].colour: unknown key; did you mean `color`?"
    ]
    pulumi("config", "set", "--secret", "outreach:accessToken", stdin=f"{token}\n")
    (project / "stages.yaml").write_text(STAGES.replace("#5951ff", "#1abc9c"))
    pulumi("up", "--yes", "--skip-preview")  # destroy reads the provider's config from state

    outreach.log.reset()
    destroyed = pulumi("destroy", "--yes", "--skip-preview")
    print(destroyed)
    assert "6 deleted" in destroyed
    assert [w.method for w in outreach.log.writes()] == ["DELETE"] * 3
    assert state.listing() == []
