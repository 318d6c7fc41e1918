"""Processes the tests start, found from /proc: killing a whole tree (a CI job's timeout kills
every process it started, not only the CLI's group), and finding what a test run left behind.

The Pulumi CLI starts its language host and plugins in process groups of their own, so killing
the CLI's group leaves them running; `kill_tree` collects every descendant first, then kills
them all. `leftovers` lists the engine's and the tests' processes of one test run that are
still alive (the suite fails on any).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LEFT_BEHIND = (
    "pulumi",  # the CLI, its language hosts and plugins (pulumi-language-*, pulumi-resource-*)
    "pulumi.dynamic",  # a dynamic provider process
    "pulumi_language_python",  # the stand-in language host
    "forkserver.py",  # the suite's fork server, and the hosts and providers forked from it
    "postgres",  # a throwaway PostgreSQL cluster
)
"""Words in a command line that mark a process the tests start."""


@dataclass(frozen=True)
class Process:
    """One process, as /proc shows it."""

    pid: int
    ppid: int
    command: str
    environ: bytes
    """Its environment, NUL-separated (empty when it cannot be read)."""


def snapshot() -> dict[int, Process]:
    """Every process on the machine now (those that end while being read are skipped)."""
    found: dict[int, Process] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            environ = b""
        pid = int(entry.name)
        found[pid] = Process(pid, int(fields[1]), command, environ)
    return found


def descendants(pid: int, processes: dict[int, Process] | None = None) -> list[int]:
    """Every process below `pid` (children, their children, ...)."""
    processes = processes if processes is not None else snapshot()
    children: dict[int, list[int]] = {}
    for process in processes.values():
        children.setdefault(process.ppid, []).append(process.pid)
    found: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def kill_tree(pid: int) -> list[int]:
    """SIGKILL a process, its group and every descendant, as a lost CI runner would; the pids
    it killed. The process is stopped first, so it starts no plugin between the listing of its
    descendants and their kill; they are listed before any dies, so none is reparented away."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGSTOP)
    tree = [pid, *descendants(pid)]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _kill(tree)
    return tree


def _kill(pids: Iterable[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def ancestors(pid: int, processes: dict[int, Process]) -> set[int]:
    """`pid` and every process above it."""
    found = {pid}
    while pid in processes and processes[pid].ppid not in found:
        pid = processes[pid].ppid
        found.add(pid)
    return found


RUN_KEY = "PULUMI_STAGES_TEST_RUN"
"""An environment variable naming one test run: every process the run starts inherits it."""


def run_mark() -> dict[str, str]:
    """The run's name, for a child started with an environment of its own (not os.environ)."""
    return {RUN_KEY: os.environ[RUN_KEY]}


def leftovers(run: str) -> list[Process]:
    """Test processes of the run `run` (by `RUN_KEY` in their environment) still running, other
    than this process and its ancestors; other work on the machine is never counted."""
    processes = snapshot()
    keep = ancestors(os.getpid(), processes)
    mark = f"{RUN_KEY}={run}".encode()
    return [
        p
        for p in processes.values()
        if p.pid not in keep
        and mark in p.environ.split(b"\0")
        and any(word in p.command for word in LEFT_BEHIND)
        and not _zombie(p.pid)
    ]


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


def kill_all(processes: Iterable[Process]) -> None:
    """SIGKILL each (the check cleans up after reporting)."""
    _kill(p.pid for p in processes)
