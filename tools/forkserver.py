"""A fork server for the Python processes the Pulumi CLI starts: the language host and the
dynamic-provider plugin, in the test suite.

Every `pulumi preview` starts two or three Python processes (the language host, once to ask
which plugins the program needs and once to run it, and the dynamic provider; a refresh starts
two providers), and each spends most of its CPU importing the Pulumi SDK and gRPC (about 0.6 s
of a 1.1 s provider start). The test suite runs about a thousand CLI commands, so it starts one
server per test worker that has imported those libraries once, and the plugin scripts in
`.tools/bin` hand their start to it while `PULUMI_STAGES_FORKSERVER` names its socket:

    client (the plugin script's process)          server (imported pulumi, grpc, dill, ...)
      sends argv, cwd, environment and  ------->  forks a waiter, which forks the worker:
      its stdin/stdout/stderr                      the worker takes those, and runs the module
      forwards SIGINT/SIGTERM to the worker <----  or script as `python -u` would
      exits with the worker's status      <----    the waiter sends the worker's exit status

Only the libraries are preloaded (and pydantic warmed by one throwaway model); pulumi_stages and
the program are imported by each worker, as in a fresh process. A client whose interpreter is
not the server's environment, whose import-affecting variables differ, or that cannot reach the
server runs the command itself, so the scripts behave as before without a server. A worker ends
when its client ends (the CLI kills its plugins' process group, and the client is what is in that
group).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import runpy
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

SOCKET_ENV = "PULUMI_STAGES_FORKSERVER"
"""Names the server's Unix socket; unset (or unreachable), the scripts start Python as usual."""

PRELOAD = (
    "pulumi",
    "pulumi.dynamic",
    "pulumi.runtime.proto",
    "pulumi.automation._server",
    "pulumi.provider",
    "grpc",
    "grpc.aio",
    "dill",
    "google.protobuf.empty_pb2",
    "concurrent.futures",
    "pydantic",
    "pydantic.main",
    "pydantic.fields",
    "pydantic.types",
    "pydantic.functional_validators",
    "pydantic.json_schema",
    "pydantic._internal._generate_schema",
    "httpx",
    "tenacity",
    "yaml",
)
"""Libraries only: the project's own modules load in each worker, as in a fresh process.
`pydantic` alone loads almost nothing (its names load on first use), so the modules a model
class needs are named; with them and `_warm_pydantic` a worker imports pulumi_stages in about
55 ms instead of 180."""


def _warm_pydantic() -> None:
    """Build and use one throwaway model: pydantic's first model loads its plugins (a scan of
    every installed distribution) and fills its caches once here instead of in every worker."""
    pydantic = sys.modules["pydantic"]  # loaded by PRELOAD (a top-level import would slow clients)

    class Warm(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        value: int = 0

    Warm.model_validate({"value": 1})


def _interpreter_env(env: dict[str, str]) -> dict[str, str]:
    """The variables an interpreter reads as it starts (PYTHONPATH, PYTHONPROFILEIMPORTTIME,
    PYTHONWARNINGS, ...) and what the preload read once for every worker (pydantic's plugin
    switch): a client whose values differ from the server's runs itself."""
    return {
        name: value
        for name, value in env.items()
        if name.startswith("PYTHON") or name == "PYDANTIC_DISABLE_PLUGINS"
    }


FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

_LISTENING: list[socket.socket] = []
"""The server's listening socket, which its forked processes close."""


# ---------------------------------------------------------------- wire


def _send(conn: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode() + b"\n"
    if fds:
        socket.send_fds(conn, [data], fds)
    else:
        conn.sendall(data)


class _Lines:
    """Newline-delimited JSON messages from a socket, with the descriptors the first carried."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""
        self.fds: list[int] = []

    def read(self) -> dict[str, Any] | None:
        while b"\n" not in self.buffer:
            data, fds, _flags, _addr = socket.recv_fds(self.conn, 65536, 8)
            self.fds.extend(fds)
            if not data:
                return None
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message


# ---------------------------------------------------------------- client


def _command(python: str, args: list[str]) -> dict[str, Any] | None:
    """`-u -m MODULE ...` or `-u SCRIPT ...` as a request, or None for any other command line."""
    if args[:1] != ["-u"] or len(args) < 2:
        return None
    if args[1] == "-m" and len(args) >= 3:
        return {"module": args[2], "argv": [args[2], *args[3:]]}
    if args[1].startswith("-"):
        return None
    return {"script": os.path.abspath(args[1]), "argv": [args[1], *args[2:]]}


def client(python: str, args: list[str]) -> None:
    """Run `python *args` in a worker of the server, or in this process when it cannot."""
    request = _command(python, args)
    path = os.environ.get(SOCKET_ENV, "")
    conn: socket.socket | None = None
    if request is not None and path:
        try:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(path)
        except OSError:
            conn = None
    if conn is None or request is None:
        os.execv(python, [python, *args])
    env = {k: v for k, v in os.environ.items() if k != SOCKET_ENV}
    env[SOCKET_ENV] = path  # what the worker starts may use the server too
    request.update(python=os.path.abspath(python), cwd=os.getcwd(), env=env)
    workers: list[int] = []
    early: list[int] = []  # signals that came before the worker's pid: sent once it is known

    def forward(received: int, _frame: Any) -> None:
        if not workers:
            early.append(received)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(workers[0], received)

    for number in FORWARDED:
        signal.signal(number, forward)
    _send(conn, request, [0, 1, 2])
    lines = _Lines(conn)
    answer = lines.read()
    if answer is None or "pid" not in answer:
        conn.close()
        for number in FORWARDED:
            signal.signal(number, signal.SIG_DFL)
        for pending in early:  # a signal meant for the command ends it before it starts
            os.kill(os.getpid(), pending)
        os.execv(python, [python, *args])
    workers.append(int(answer["pid"]))
    for pending in early:
        forward(pending, None)
    status = lines.read()
    code = int(status["status"]) if status is not None else 1
    if code < 0:  # the worker ended by a signal: end the same way
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


# ---------------------------------------------------------------- server


def _refusal(request: dict[str, Any]) -> str:
    """Why this server cannot run the request as the client's own Python would, or ""."""
    venv = os.path.dirname(os.path.dirname(os.path.abspath(request["python"])))
    if os.path.realpath(venv) != os.path.realpath(sys.prefix):
        return f"another environment ({venv})"
    theirs, ours = _interpreter_env(request["env"]), _interpreter_env(dict(os.environ))
    differing = sorted(
        name for name in theirs.keys() | ours.keys() if theirs.get(name) != ours.get(name)
    )
    return f"{', '.join(differing)} differ" if differing else ""


def _std_streams() -> None:
    """stdin, stdout and stderr on descriptors 0-2 as `python -u` makes them."""
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    for fd, name in ((1, "stdout"), (2, "stderr")):
        raw = io.FileIO(fd, "w", closefd=False)
        errors = "backslashreplace" if name == "stderr" else "strict"
        stream = io.TextIOWrapper(raw, errors=errors, write_through=True)
        setattr(sys, name, stream)


def _end_with(conn: socket.socket) -> None:
    """The worker ends when its client does (it sends nothing, so a read returns at its end)."""
    try:
        conn.recv(1)
    finally:
        os._exit(1)


def _worker(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for number in FORWARDED[1:]:
        signal.signal(number, signal.SIG_DFL)
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    for fd in fds:
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    _std_streams()
    threading.Thread(target=_end_with, args=(conn,), daemon=True).start()
    sys.argv = list(request["argv"])
    _exit(_run(request))


def _run(request: dict[str, Any]) -> int:
    """Run the request's module or script as `__main__`; the exit status a fresh interpreter
    would end with (negative: the signal it would end by)."""
    code: Any = 0
    try:
        if "module" in request:
            sys.path[0] = os.getcwd()
            runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        else:
            script = request["script"]
            sys.path[0] = os.path.dirname(os.path.realpath(script))
            runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        code = stop.code
    except KeyboardInterrupt:
        traceback.print_exc()
        code = -signal.SIGINT
    except BaseException:  # as an uncaught exception ends a fresh interpreter
        traceback.print_exc()
        code = 1
    if code is None:
        return 0
    if not isinstance(code, int):
        print(code, file=sys.stderr)
        return 1
    return code


def _exit(code: int) -> None:
    """End as a fresh interpreter ends: non-daemon threads joined, exit functions run, streams
    flushed."""
    threading._shutdown()  # type: ignore[attr-defined]  # as at a fresh interpreter's exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)


def _waiter(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """Start the worker, tell the client its pid, and send its exit status when it ends."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for listener in _LISTENING:
        listener.close()
    pid = _forked(lambda: _worker(conn, request, fds), fds)
    try:
        _send(conn, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        _send(conn, {"status": os.waitstatus_to_exitcode(status)})
    except OSError:
        pass
    os._exit(0)


def _handle(conn: socket.socket) -> None:
    lines = _Lines(conn)
    request = lines.read()
    fds = lines.fds
    refusal = "no request" if request is None or len(fds) < 3 else _refusal(request)
    if refusal or request is None:
        for fd in fds:
            os.close(fd)
        _send(conn, {"refused": refusal})
        return
    _forked(lambda: _waiter(conn, request, fds), fds)


def _forked(run: Callable[[], None], fds: list[int]) -> int:
    """Fork a child that runs `run` and never returns here; the parent closes the client's
    descriptors, which are the child's now, and gets the child's pid."""
    pid = os.fork()
    if pid == 0:
        try:
            run()
        finally:
            os._exit(1)
    for fd in fds:
        os.close(fd)
    return pid


def serve(path: str) -> None:
    """Import the libraries, listen on `path`, print "ready", and fork a worker per client
    until the process that started this one ends."""
    for name in PRELOAD:
        __import__(name)
    _warm_pydantic()
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    _LISTENING.append(listener)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    print("ready", flush=True)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            conn = None
        if conn is not None:
            conn.settimeout(None)
            try:
                _handle(conn)
            except OSError:
                pass
            finally:
                conn.close()
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
    listener.close()


def main() -> None:
    if sys.argv[1:2] == ["serve"] and len(sys.argv) == 3:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve(sys.argv[2])
    elif sys.argv[1:2] == ["run"] and len(sys.argv) >= 3:
        client(sys.argv[2], sys.argv[3:])
    else:
        sys.exit("usage: forkserver.py serve SOCKET | run PYTHON ARGS...")


if __name__ == "__main__":
    main()
