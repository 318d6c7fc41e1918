"""Benchmark: the same stage set through the Python door and the provider package, one run.

For N Outreach stages (default 500), two stacks against two emulators: "python", a `StageSet`
in an inline Python program (dynamic providers), and "package", the same declaration as a
`crmstages:index:StageSet` component served by `pulumi-resource-crmstages`. Each runs an up from
empty and a no-op up; the table gives wall time, the API requests (which must be equal), and the
state's size per resource (the dynamic door keeps a pickled provider in every resource's inputs).
Run with `python -m bench.doors --sizes 500`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto

from bench.engine import TOKEN, new_stack
from pulumi_stages.emulator import EmulatorServer, OutreachService
from pulumi_stages.stageset import StageSet

SET_NAME = "pipeline"


def spec(n: int) -> dict[str, Any]:
    """N Outreach stages in order."""
    return {"outreach": {"stages": [{"name": f"Stage {i}"} for i in range(n)]}}


def python_program(n: int) -> Callable[[], None]:
    def program() -> None:
        StageSet(SET_NAME, spec(n))

    return program


def package_program(n: int) -> Callable[[], None]:
    def program() -> None:
        pulumi.ComponentResource(
            "crmstages:index:StageSet", SET_NAME, {"spec": spec(n)}, remote=True
        )

    return program


@dataclass
class Door:
    """One door's stack, its emulator, and its config keys."""

    name: str
    stack: auto.Stack
    emulator: EmulatorServer

    def timed(self, action: Callable[[], Any]) -> tuple[float, dict[str, int]]:
        self.emulator.log.reset()
        started = time.perf_counter()
        action()
        return time.perf_counter() - started, dict(self.emulator.log.counts())

    def state_bytes_per_resource(self) -> float:
        deployment = self.stack.export_stack().deployment or {}
        resources = deployment.get("resources", [])
        return len(json.dumps(deployment)) / max(len(resources), 1)


def config(door: str, emulator: EmulatorServer) -> dict[str, auto.ConfigValue]:
    if door == "python":
        return {
            "outreach:baseUrl": auto.ConfigValue(emulator.base_url),
            "outreach:accessToken": auto.ConfigValue(TOKEN, secret=True),
        }
    return {
        "crmstages:outreachBaseUrl": auto.ConfigValue(emulator.base_url),
        "crmstages:outreachAccessToken": auto.ConfigValue(TOKEN, secret=True),
    }


def run(n: int, work: Path) -> list[str]:
    """The table rows for N stages."""
    rows = []
    with (
        EmulatorServer(OutreachService(token=TOKEN)) as for_python,
        EmulatorServer(OutreachService(token=TOKEN)) as for_package,
    ):
        doors = [
            Door(
                name,
                new_stack(work / name, work / "home", make(n), config(name, emulator)),
                emulator,
            )
            for name, make, emulator in (
                ("python", python_program, for_python),
                ("package", package_program, for_package),
            )
        ]
        measured: dict[str, dict[str, tuple[float, dict[str, int]]]] = {}
        for door in doors:
            measured[door.name] = {
                "up from empty": door.timed(door.stack.up),
                "no-op up": door.timed(door.stack.up),
            }
        sizes = {door.name: door.state_bytes_per_resource() for door in doors}
        for door in doors:  # the emulators go with their accounts: no destroy to time
            door.stack.workspace.remove_stack(door.stack.name, force=True)
    for operation in ("up from empty", "no-op up"):
        (py_s, py_req), (pkg_s, pkg_req) = (
            measured["python"][operation],
            measured["package"][operation],
        )
        same = "yes" if py_req == pkg_req else f"NO: {py_req} vs {pkg_req}"
        rows.append(
            f"| {n} | {operation} | {py_s:.1f} s | {pkg_s:.1f} s | {pkg_s / py_s:.2f} | {same} |"
        )
    rows.append(
        f"| {n} | state bytes per resource | {sizes['python']:.0f} | {sizes['package']:.0f} | "
        f"{sizes['package'] / sizes['python']:.2f} | |"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="500", help="comma-separated stage counts")
    args = parser.parse_args()
    print("| N | operation | python door | package | package / python | same requests |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as temp:
        for n in (int(s) for s in args.sizes.split(",")):
            for row in run(n, Path(temp) / str(n)):
                print(row, flush=True)


if __name__ == "__main__":
    main()
