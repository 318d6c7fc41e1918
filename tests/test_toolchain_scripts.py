"""The scripts the toolchain installs beside the CLI: the dynamic-provider plugin and the
stand-in Python language host, on the paths where they used to fail silently or hang."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import threading
import time
from concurrent import futures
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, resource_pb2, resource_pb2_grpc

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


class FeaturelessMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """Just enough of the engine's resource monitor for the SDK to start a program: it has no
    deployment info (the SDK then probes each feature) and supports no feature."""

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC name)
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "no deployment info")

    def SupportsFeature(self, request: Any, context: Any) -> Any:  # noqa: N802
        return resource_pb2.SupportsFeatureResponse(hasSupport=False)


def run_ignoring_its_end(stub: Any, request: Any) -> None:
    """Send the Run request; the host ending under it fails the call, which is expected."""
    with contextlib.suppress(grpc.RpcError):
        stub.Run(request)


def test_the_host_ends_on_the_clis_sigint_while_its_program_still_runs(tmp_path: Path) -> None:
    """After an error the CLI stops the language host (SIGINT to its group) while the program
    still waits on the engine. The host ends at once, as the real host does, instead of waiting
    for its program's thread until the CLI kills it 5 s later (every failed `up` took 5 s
    longer)."""
    started = tmp_path / "started"
    (tmp_path / "__main__.py").write_text(
        f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(300)\n"
    )
    monitor = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(FeaturelessMonitor(), monitor)
    monitor_port = monitor.add_insecure_port("127.0.0.1:0")
    monitor.start()
    host = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-u", str(HOST)],
        stdout=subprocess.PIPE,
        start_new_session=True,  # its own group, which the CLI signals
    )
    channel: grpc.Channel | None = None
    try:
        assert host.stdout is not None
        port = stand_in_host()._first_line(host.stdout, 60)
        assert port.isdigit(), "the host did not print its port"
        request = language_pb2.RunRequest(
            project="p",
            stack="s",
            pwd=str(tmp_path),
            program=".",
            monitor_address=f"127.0.0.1:{monitor_port}",
            info=language_pb2.ProgramInfo(
                root_directory=str(tmp_path), program_directory=str(tmp_path), entry_point="."
            ),
        )
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = language_pb2_grpc.LanguageRuntimeStub(channel)
        threading.Thread(target=run_ignoring_its_end, args=(stub, request), daemon=True).start()
        deadline = time.monotonic() + 60
        while not started.exists() and host.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the program never started"
        os.killpg(host.pid, signal.SIGINT)
        try:
            code = host.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, "the host did not end on SIGINT while its program ran"
    finally:
        if channel is not None:
            channel.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(host.pid, signal.SIGKILL)
        host.wait()
        monitor.stop(0)
