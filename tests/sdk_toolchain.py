"""The SDK toolchain for tests: the generator, the samples' packages, and timed steps.

Downloads are cached across runs in the project's user cache (Go modules and builds, as for the CLI;
npm's download cache and one install of the TypeScript sample's packages per package-lock), so only
a new machine pays for them. Each step's wall time is printed (`pytest -s` shows it).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.engine import GO_COLLECTOR, ROOT

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pulumi-stages"
SAMPLES = ROOT / "examples" / "sdks"
STEP_TIMEOUT = 900.0
"""A cold Go build of the Pulumi SDK takes minutes on two busy cores; a hang still ends."""


@dataclass(frozen=True)
class Finished:
    """What a step printed, and how it ended."""

    returncode: int
    output: str
    seconds: float


def run_step(name: str, argv: Sequence[str | Path], cwd: Path, env: dict[str, str]) -> Finished:
    """Run one step in its own process group (killed whole on a timeout), timed and printed."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        output += f"\n(step killed after {STEP_TIMEOUT:.0f} s)"
    seconds = time.monotonic() - started
    print(f"sdk step {name}: {seconds:.1f} s (exit {process.returncode})", file=sys.stderr)
    return Finished(process.returncode, output, seconds)


def go_env() -> dict[str, str]:
    """Go's module and build caches shared with the CLI build (tools/setup-toolchain.sh), and
    Go's own garbage collection for the toolchain (the suite's setting is for short commands)."""
    inherited = {k: v for k, v in os.environ.items() if GO_COLLECTOR.get(k) != v}
    return {
        **inherited,
        "GOMODCACHE": str(CACHE / "go" / "mod"),
        "GOCACHE": str(CACHE / "go" / "build"),
        "GOFLAGS": "-mod=mod",
    }


def sdkgen() -> Path:
    """The generator binary, built once per change of its sources (tools/sdkgen/build.sh)."""
    script = ROOT / "tools" / "sdkgen" / "build.sh"
    built = run_step("build crmstages-sdkgen", ["bash", script], ROOT, go_env())
    assert built.returncode == 0, built.output
    return Path(built.output.strip().splitlines()[-1])


def generate(schema: Path, out: Path) -> Finished:
    """Write the TypeScript, Go and Python SDKs for `schema` into out/<lang>/."""
    argv: list[str | Path] = [sdkgen(), "-schema", schema, "-out", out]
    argv += ["-langs", "nodejs,go,python"]
    return run_step("generate SDKs", argv, ROOT, dict(os.environ))


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One process at a time (xdist workers share the cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def typescript_packages() -> Path:
    """node_modules of the TypeScript sample, installed once per package-lock.json (npm ci)."""
    sample = SAMPLES / "typescript"
    lock = (sample / "package-lock.json").read_bytes()
    home = CACHE / "node" / hashlib.sha256(lock).hexdigest()[:16]
    with locked(home.with_suffix(".lock")):
        if not (home / ".installed").exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            for name in ("package.json", "package-lock.json"):
                shutil.copy(sample / name, home / name)
            argv = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"]
            argv += ["--cache", str(CACHE / "npm")]
            installed = run_step("npm ci (TypeScript sample)", argv, home, dict(os.environ))
            assert installed.returncode == 0, installed.output
            (home / ".installed").touch()
    return home / "node_modules"


def install_python_sdk(sdks: Path, site: Path) -> Finished:
    """pip-install sdk/python into `site` as a user would, with no download: its requirements
    (pulumi, semver, parver) are the dev virtualenv's."""
    pip: list[str | Path] = [sys.executable, "-m", "pip", "install", "--quiet"]
    pip += ["--disable-pip-version-check", "--no-deps", "--no-build-isolation", "--no-index"]
    pip += ["--target", site, sdks / "python"]
    return run_step("pip install (Python SDK)", pip, site.parent, dict(os.environ))


GO_WORK = CACHE / "go-sample"
"""Where the Go sample is built: Go's build cache keys a package by its folder, so one fixed
folder lets a run whose SDK did not change reuse the last run's compiled packages."""


def sample_beside_sdks(sample: str, sdks: Path, work: Path) -> Path:
    """Lay out `work` as a checkout is after `make sdks` (sdk/<lang>/, examples/sdks/<sample>/),
    with the SDKs generated in `sdks`, and return the sample's folder there."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(sdks, work / "sdk")
    copy = work / "examples" / "sdks" / sample
    shutil.copytree(SAMPLES / sample, copy, ignore=shutil.ignore_patterns("node_modules"))
    return copy
