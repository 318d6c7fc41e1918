"""The scripts the toolchain installs beside the CLI: the dynamic-provider plugin and the
stand-in Python language host, on the paths where they used to fail silently or hang."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import time
from pathlib import Path
from types import ModuleType

from tests.engine import ROOT, TOOLS_BIN

HOST = ROOT / "tools" / "langhost" / "pulumi_language_python.py"


def stand_in_host() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stand_in_host", HOST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_plugin_refuses_a_virtualenv_that_is_not_there(tmp_path: Path) -> None:
    """Pulumi.yaml names a virtualenv that has no Python: the plugin says so and stops, rather
    than running this checkout's own environment and its source tree in its place."""
    missing = tmp_path / "venv"
    done = subprocess.run(
        [str(TOOLS_BIN / "pulumi-resource-pulumi-python")],
        env={**os.environ, "PULUMI_RUNTIME_VIRTUALENV": str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"the project's virtualenv '{missing}' has no bin/python" in done.stderr


def test_a_copy_that_never_prints_its_port_does_not_hang_the_run() -> None:
    """The copy under the project's Python prints its port first; one that hangs while
    importing gives up after the deadline instead of blocking the run for ever."""
    host = stand_in_host()
    silent = subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE)
    try:
        assert silent.stdout is not None
        started = time.monotonic()
        line = host._first_line(silent.stdout, 0.5)
        waited = time.monotonic() - started
    finally:
        silent.kill()
        silent.wait()
    assert line == "" and waited < 10


def test_a_copy_takes_its_marker_out_of_the_environment_the_program_sees(tmp_path: Path) -> None:
    """The marker that tells a copy it is one is not inherited by the program it runs, nor by
    what the program starts (a program that itself runs a host would take it for a copy)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib.util, os, sys\n"
        f"spec = importlib.util.spec_from_file_location('h', {str(HOST)!r})\n"
        "h = importlib.util.module_from_spec(spec); spec.loader.exec_module(h)\n"
        "h.Event.wait = lambda self: None\n"  # serve, print the port, return at once
        "h.main()\n"
        "print('marker' if h.CHILD_ENV in os.environ else 'clean')\n"
    )
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(probe)],
        env={**os.environ, "PULUMI_STAGES_LANGHOST_CHILD": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "clean"
