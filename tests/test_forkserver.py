"""tools/forkserver.py, which starts the suite's language hosts and dynamic providers: a forked
worker runs a script or module as `python -u` would (argv, cwd, environment, standard streams,
sys.path, exit status, signals); what it cannot run the same way runs as a fresh interpreter;
and a worker never outlives the client the CLI started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import processes
from tests.engine import ROOT

FORKSERVER = ROOT / "tools" / "forkserver.py"

PROBE = """\
import json, os, sys
print(json.dumps({
    "argv": sys.argv, "cwd": os.getcwd(), "path0": sys.path[0], "marker": os.environ.get("MARKER"),
    "forked": "grpc" in sys.modules, "pid": os.getpid(), "stdin": sys.stdin.readline().strip(),
}))
sys.exit(int(os.environ.get("EXIT", "0")))
"""


@pytest.fixture
def server() -> Iterator[str]:
    """A fork server of its own (the suite's may be off): the socket path to give clients."""
    folder = tempfile.mkdtemp(prefix="stages-fork-test-")
    path = os.path.join(folder, "socket")
    process = subprocess.Popen(
        [sys.executable, str(FORKSERVER), "serve", path], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield path
    process.terminate()
    process.wait(timeout=30)
    process.stdout.close()
    os.remove(path)
    os.rmdir(folder)


def client(
    server: str, args: list[str], cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PULUMI_STAGES_FORKSERVER": server, **env}
    command = [sys.executable, "-S", str(FORKSERVER), "run", sys.executable, *args]
    return subprocess.run(
        command,
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=60,
    )


def probe(tmp_path: Path) -> Path:
    script = tmp_path / "scripts" / "probe.py"
    script.parent.mkdir()
    script.write_text(PROBE)
    return script


def test_a_script_runs_forked_with_the_clients_argv_cwd_environment_and_streams(
    server: str, tmp_path: Path
) -> None:
    done = client(server, ["-u", str(probe(tmp_path)), "a", "b"], tmp_path, "hello\n", MARKER="m")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["forked"] is True  # grpc was there before the script imported anything
    assert seen["argv"] == [str(tmp_path / "scripts" / "probe.py"), "a", "b"]
    assert seen["cwd"] == str(tmp_path)
    assert seen["path0"] == str(tmp_path / "scripts")  # a script's folder, as python puts it
    assert seen["marker"] == "m"
    assert seen["stdin"] == "hello"


def test_a_module_runs_forked_with_the_working_directory_first_on_its_path(
    server: str, tmp_path: Path
) -> None:
    (tmp_path / "probe_module.py").write_text(PROBE)
    done = client(server, ["-u", "-m", "probe_module", "x"], tmp_path, "\n")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["forked"] is True
    assert seen["path0"] == str(tmp_path)  # so a provider's pickled module is found, as with -m
    assert seen["argv"][1:] == ["x"]


def test_a_worker_starts_with_pydantic_loaded_and_its_plugins_scanned(
    server: str, tmp_path: Path
) -> None:
    """What a model class needs is there before the worker imports anything: without it each
    of the suite's ~2,000 workers spent about 0.12 CPU-s loading and warming pydantic."""
    script = tmp_path / "pydantic_probe.py"
    script.write_text(
        "import json, sys\n"
        "loaded = {m: m in sys.modules for m in ('pydantic.main', 'pydantic._internal."
        "_generate_schema', 'tenacity', 'yaml')}\n"
        "from pydantic.plugin import _loader\n"
        "print(json.dumps({**loaded, 'plugins scanned': _loader._plugins is not None}))\n"
    )
    done = client(server, ["-u", str(script)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout).values()) == {True}, done.stdout
    fresh = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(fresh.stdout)["plugins scanned"] is False  # the probe can tell the two


def test_the_exit_status_and_an_uncaught_error_pass_through(server: str, tmp_path: Path) -> None:
    script = probe(tmp_path)
    assert client(server, ["-u", str(script)], tmp_path, "\n", EXIT="3").returncode == 3
    broken = tmp_path / "broken.py"
    broken.write_text("raise ValueError('boom')\n")
    done = client(server, ["-u", str(broken)], tmp_path)
    assert done.returncode == 1
    assert "ValueError: boom" in done.stderr


def test_an_interpreter_variable_that_differs_runs_a_fresh_interpreter(
    server: str, tmp_path: Path
) -> None:
    done = client(server, ["-u", str(probe(tmp_path))], tmp_path, "\n", PYTHONWARNINGS="error")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["forked"] is False


def test_no_server_runs_a_fresh_interpreter(tmp_path: Path) -> None:
    done = client(str(tmp_path / "no-socket"), ["-u", str(probe(tmp_path))], tmp_path, "\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["forked"] is False


def test_sigint_reaches_the_worker_and_a_killed_client_ends_it(server: str, tmp_path: Path) -> None:
    script = tmp_path / "wait.py"
    script.write_text(
        "import os, sys, time\n"
        "try:\n    print(os.getpid(), flush=True)\n    time.sleep(60)\n"
        "except KeyboardInterrupt:\n    sys.exit(7)\n"
    )
    environ = {**os.environ, "PULUMI_STAGES_FORKSERVER": server}
    command = [sys.executable, "-S", str(FORKSERVER), "run", sys.executable, "-u", str(script)]

    def started() -> tuple[subprocess.Popen[str], int]:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environ)
        assert process.stdout is not None
        worker = int(process.stdout.readline())
        assert worker != process.pid
        return process, worker

    interrupted, _ = started()
    interrupted.send_signal(signal.SIGINT)
    assert interrupted.wait(timeout=30) == 7  # as the CLI stops a plugin
    assert interrupted.stdout is not None
    interrupted.stdout.close()

    killed, worker = started()
    assert worker in processes.snapshot()
    killed.kill()  # as a lost runner, or the CLI's own kill, ends the plugin it started
    killed.wait(timeout=30)
    assert killed.stdout is not None
    killed.stdout.close()
    deadline = time.monotonic() + 10
    while worker in processes.snapshot() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker not in processes.snapshot()
