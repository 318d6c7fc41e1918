"""A stand-in for Pulumi's Go `pulumi-language-python` host, while that module cannot be built.

The Go module `github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3` is not served by
the module proxy this project can reach, so `tools/setup-toolchain.sh` installs this script in its
place. It serves the LanguageRuntime gRPC service the CLI speaks to and runs the project's
`__main__.py` with the Python SDK's own in-process runtime (the one the Automation API uses for
inline programs).

Which Python runs the program follows Pulumi.yaml's `runtime.options`, as the real host does:
`virtualenv:` (relative to the project) names the environment; with `toolchain: uv` and no
`virtualenv:` it is the project's `.venv` (or `UV_PROJECT_ENVIRONMENT`); with `toolchain: poetry`
it is the one `poetry env info --path` names. A program whose environment is not the one this
script runs under is run by a copy of this script started with that environment's Python (it
needs only `pulumi`, which the project's requirements carry). With no such option the program
runs under this script's own interpreter. It never installs dependencies: `pip install -r
requirements.txt` into the environment first.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import runpy
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent import futures
from pathlib import Path
from threading import Event
from typing import IO, Any

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

CHILD_ENV = "PULUMI_STAGES_LANGHOST_CHILD"
"""Set in a copy started under the project's own Python: it runs the program itself. The copy
takes it out of its environment at once, so the program and what it starts never see it."""

COPIES: set[int] = set()
"""Process ids of the copies running a program now: the host ends their groups when it ends."""

COPY_START_SECONDS = 60.0
"""How long a copy under the project's Python may take to import pulumi and print its port."""


class UnusableEnvironment(Exception):
    """The environment Pulumi.yaml names cannot be used; the message says what to do."""


def _option(info: Any, name: str) -> str:
    """A string option of Pulumi.yaml's `runtime.options`, or ""."""
    fields = info.options.fields if info.HasField("options") else {}
    value = fields.get(name)
    return value.string_value.strip() if value is not None else ""


def project_python(info: Any) -> Path | None:
    """The Python of the environment Pulumi.yaml names, or None when it names none."""
    root = Path(info.root_directory or ".")
    virtualenv = _option(info, "virtualenv")
    toolchain = _option(info, "toolchain") or "pip"
    if not virtualenv and toolchain == "uv":
        virtualenv = os.environ.get("UV_PROJECT_ENVIRONMENT", ".venv")
    if not virtualenv and toolchain == "poetry":
        virtualenv = _poetry_environment(root)
    if not virtualenv:
        return None
    venv = Path(virtualenv) if Path(virtualenv).is_absolute() else root / virtualenv
    python = venv / "bin" / "python"
    if not python.exists():
        shown = os.path.normpath(venv)
        raise UnusableEnvironment(
            f"The 'virtualenv' option in Pulumi.yaml is set to {virtualenv!r}, but {shown} "
            f"is not a virtual environment (no bin/python). Create it: python3 -m venv {shown} "
            f"&& {shown}/bin/pip install -r requirements.txt"
        )
    return python


def _poetry_environment(root: Path) -> str:
    poetry = shutil.which("poetry")
    if poetry is None:
        raise UnusableEnvironment(
            "Pulumi.yaml sets toolchain: poetry, but poetry is not on PATH; install it, or "
            "set runtime.options.virtualenv to the environment's folder"
        )
    found = subprocess.run(
        [poetry, "env", "info", "--path"], cwd=root, capture_output=True, text=True, check=False
    )
    if found.returncode != 0 or not found.stdout.strip():
        raise UnusableEnvironment(
            f"`poetry env info --path` found no environment in {root}: run `poetry install`"
        )
    return found.stdout.strip()


def _same_environment(python: Path) -> bool:
    here = os.path.realpath(sys.prefix)
    return os.path.realpath(python.parent.parent) == here


class ProjectLanguageServer(LanguageServer):
    """Runs the program found in the Pulumi project's directory, in this process or in a copy
    of this host started with the project's own Python."""

    def __init__(self, engine_address: str, is_copy: bool = False) -> None:
        super().__init__(self._program)
        self.engine_address = engine_address
        self.is_copy = is_copy
        self.program_dir = "."

    def _program(self) -> None:
        sys.path.insert(0, self.program_dir)
        runpy.run_path(self.program_dir, run_name="__main__")

    def Run(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        info = request.info
        if not self.is_copy:
            try:
                python = project_python(info)
            except UnusableEnvironment as error:
                return language_pb2.RunResponse(error=str(error))
            if python is not None and not _same_environment(python):
                return run_in_copy(python, self.engine_address, request)
        entry = info.entry_point if info.entry_point else request.program
        self.program_dir = os.path.join(info.program_directory or request.pwd, entry)
        if request.pwd:
            os.chdir(request.pwd)
        engine_request = language_pb2.RunRequest()
        engine_request.CopyFrom(request)
        del engine_request.args[:]
        engine_request.args.append(self.engine_address)
        response = super().Run(engine_request, context)
        if response.error:
            # The SDK's runtime has already logged the error to the engine; printing it again
            # would show every error twice. The real host answers the same way ("bail").
            response.bail = True
        return response


def run_in_copy(python: Path, engine_address: str, request: Any) -> Any:
    """Run the program with another environment's Python: a copy of this host serves it there,
    for this one run; its output passes through and its process group ends with the run."""
    child = subprocess.Popen(
        [str(python), "-u", __file__, engine_address],
        stdout=subprocess.PIPE,
        env={**os.environ, CHILD_ENV: "1"},
        start_new_session=True,
    )
    COPIES.add(child.pid)
    passing: threading.Thread | None = None
    try:
        assert child.stdout is not None
        port = _first_line(child.stdout, COPY_START_SECONDS)
        if not port.isdigit():
            return language_pb2.RunResponse(
                error=f"{python} could not start the language host within "
                f"{COPY_START_SECONDS:g} s (is `pulumi` installed in that environment? "
                "pip install -r requirements.txt)"
            )
        passing = threading.Thread(target=_pass_through, args=(child.stdout,), daemon=True)
        passing.start()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            return language_pb2_grpc.LanguageRuntimeStub(channel).Run(request)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
        child.wait()
        COPIES.discard(child.pid)
        if passing is not None:
            passing.join(timeout=5)  # the copy's last lines reach the CLI before the answer


def _first_line(stream: IO[bytes], seconds: float) -> str:
    """The stream's first line, or "" when none comes within `seconds` (a copy that hangs
    while importing must not hang the run with it)."""
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline().decode().strip() if ready else ""


def _pass_through(stream: IO[bytes]) -> None:
    for line in stream:
        sys.stdout.buffer.write(line)
        sys.stdout.flush()


def _exit_with_parent() -> None:
    """A copy ends when the host that started it ends (the CLI stops only that one), so it
    never holds the CLI's output pipes open."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def main() -> None:
    """Serve on a free loopback port, print it for the CLI, and wait to be killed."""
    is_copy = bool(os.environ.pop(CHILD_ENV, ""))
    if is_copy:
        threading.Thread(target=_exit_with_parent, daemon=True).start()
    engine_address = sys.argv[-1] if len(sys.argv) > 1 else ""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(
        ProjectLanguageServer(engine_address, is_copy), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    try:
        Event().wait()
    except KeyboardInterrupt:  # the CLI stops its plugins with SIGINT
        server.stop(0)
        stop_now()


def stop_now() -> None:
    """End at once, as the real host does on the CLI's SIGINT. A program the engine stopped
    early (after an error) still waits in a server thread that a normal exit would join, and
    the CLI then waits 5 s before it kills this host. A copy running a program ends with it
    (its own session: the CLI's signal does not reach it); exit functions still run (the SDK's
    trace flush), the thread joins do not."""
    for pid in list(COPIES):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
