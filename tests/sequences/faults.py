"""Faults a sequence injects: error statuses, dropped answers, and `kill -9` of an `up`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable

from pulumi_stages.emulator.faults import Fault, FaultKind
from tests.processes import kill_tree

from .model import SPEC_FILE, choose
from .stats import STATS, violated

FAULTS: dict[str, Callable[[str | None], Fault]] = {
    "429x2": lambda method: Fault(FaultKind.STATUS, count=2, status=429, method=method),
    "503 retry-after": lambda method: Fault(
        FaultKind.STATUS, status=503, retry_after=1, method=method
    ),
    "500x2": lambda method: Fault(FaultKind.STATUS, count=2, status=500, method=method),
    "drop": lambda method: Fault(FaultKind.DROP, method=method),
    "commit-then-drop": lambda method: Fault(FaultKind.COMMIT_THEN_DROP, method=method),
}


class FaultSteps:
    """The steps that break things: one fault queued before the next `up`, and `kill -9` of a
    plain `pulumi up` while its creates are in flight, then the README's recovery."""

    def inject_fault(self, pick: int, other: int) -> None:
        if self.fault is not None:
            self.note("fault: not applicable")
            return
        raw_pick, raw_other = self.raw  # uniform either way; in CI's tour: each kind in turn
        kind = choose(sorted(FAULTS), raw_pick + self.faults_made)
        method = choose([*self.methods_pending(), None, "GET"], raw_other)
        self.faults_made += 1
        self.server.faults.add(FAULTS[kind](method))
        self.fault = f"{kind} on {method or 'any request'}"
        self.fault_kind = kind
        STATS[f"fault: {kind}"] += 1
        STATS["faults injected"] += 1
        self.note(f"fault: {self.fault}")

    def methods_pending(self) -> list[str]:
        """The write methods the next `up` will likely send (a fault on another never hits)."""
        post, update, delete = self.write_methods
        applied = self.applied.stages
        declared = {(c.name, s.identity) for c in self.containers for s in c.stages}
        before = {(c, identity) for c, stages in applied.items() for identity in stages}
        live = {id_ for _, id_ in self.server.service.live_stages()}
        gone = any(id_ not in live for stages in applied.values() for _, id_ in stages.values())
        methods = []
        if declared - before or gone or self.hand_made:
            methods.append(post)
        if before - declared:  # sure to be sent (a pending change may be a removal only)
            methods.append(delete)
        if self.pending() or self.hand_dirty:
            methods.append(update)
        return methods

    def kill_up_then_recover(self, pick: int, _: int) -> None:
        """`kill -9` of a plain `pulumi up` while its creates are in flight, then `pulumi
        cancel`, `pulumi refresh --clear-pending-creates` and `up`: no duplicate, converged.
        Once per sequence (it costs four `pulumi` runs)."""
        if self.kills or self.fault is not None or self.renamed_onto:
            # a rename onto a name made by hand is refused before any write: nothing to kill
            self.note("kill: not applicable")
            return
        self.kills += 1
        container = choose(self.containers, pick)
        for n in range(3):  # something to create, so the run is killed while it writes
            name = self.fresh_name(container, pick // (n + 2))
            container.stages.append(self.new_stage(container, name, pick // (n + 3)))
        self.note(f"kill: {container.name} +3 stages")
        self.prepare(pick)
        if self.hand_dirty:
            self.refresh()
        if self.hand_made:  # the plain run would stop at the refusal: adopt them now
            self.adopt = True
        (self.workdir / SPEC_FILE).write_text(json.dumps(self.spec()))
        self.server.faults.add(
            Fault(
                FaultKind.LATENCY, count=3, delay=1.0, method="POST", path=self.stage_create_route
            )
        )
        self.server.log.reset()
        STATS["cli runs: up (killed)"] += 1
        running = subprocess.Popen(
            self.cli_command("up", "--yes", "--skip-preview"),
            env=self.cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        create = f"POST {self.stage_create_route}"
        while time.monotonic() < deadline and running.poll() is None:
            if any(e.key == create for e in self.server.log.entries()):
                time.sleep(0.3)
                break
            time.sleep(0.02)
        in_flight = any(e.key == create for e in self.server.log.entries())
        if running.poll() is None:
            kill_tree(running.pid)  # the CLI's plugins too, as a lost runner loses them
        running.wait(timeout=30)
        if running.returncode == -signal.SIGKILL:
            STATS["kills"] += 1
            if in_flight:  # a create was sent and held (1 s) when the kill landed
                STATS["kills (creates in flight)"] += 1
        else:
            STATS["kills (run ended first)"] += 1
        time.sleep(1.2)  # the held POST commits in the emulator, as the API would
        killed = self.server.log.entries()
        if self.clear_torn_checkpoint_metadata():
            STATS["kills (checkpoint metadata left empty)"] += 1
            self.note("kill: left the checkpoint's .attrs empty; deleted, as the docs say")
        self.server.faults.clear()
        self.cli("cancel", "--yes", allow_failure=True)  # no lock if the run ended first
        self.cli("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
        self.hand_dirty = False
        self.apply_and_check(pick, refresh=False, earlier=killed)

    def cli_env(self) -> dict[str, str]:
        workspace = self.stack.stack.workspace
        return {
            **os.environ,
            **workspace.env_vars,
            "PULUMI_HOME": workspace.pulumi_home or "",
            "SEQUENCE_SPEC": str(self.workdir / SPEC_FILE),
        }

    def cli_command(self, *args: str) -> list[str]:
        return ["pulumi", *args, "--stack", "test", "--non-interactive", "--cwd", str(self.workdir)]

    def cli(self, *args: str, allow_failure: bool = False) -> None:
        STATS[f"cli runs: {args[0]}"] += 1
        done = subprocess.run(
            self.cli_command(*args), env=self.cli_env(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0 and not allow_failure:
            raise violated(
                f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n"
                f"backend's stack files: {self.stack_files()}"
            )

    def clear_torn_checkpoint_metadata(self) -> bool:
        """A kill between the CLI's truncating and writing `<stack>.json.attrs` leaves it empty,
        and every later command fails with `failed to load checkpoint: EOF`; deleting it is the
        recovery docs/troubleshooting.md gives (the checkpoint is written atomically). True when
        one was found."""
        backend = self.stack.backend
        found = [] if backend is None else backend.glob(".pulumi/**/*.attrs")
        torn = [f for f in found if f.stat().st_size == 0]
        for metadata in torn:
            metadata.unlink()
        return bool(torn)

    def stack_files(self) -> list[tuple[str, int]]:
        """The backend's stack files and their sizes, for a failed run's message."""
        backend = self.stack.backend
        if backend is None:
            return []
        found = sorted(backend.glob(".pulumi/stacks/**/*"))
        return [(str(f.relative_to(backend)), f.stat().st_size) for f in found if f.is_file()]
