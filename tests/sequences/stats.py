"""The machine's statistics, its violations, and the coverage CI asserts."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from hypothesis import event
from hypothesis.errors import InvalidArgument

if TYPE_CHECKING:
    from .machine import SequenceMachine


STATS: Counter[str] = Counter()
"""Counters over every sequence this process ran (printed at the end of each test)."""


class Violation(AssertionError):
    """An invariant that failed after a completed `up` (or an `up` that should have completed)."""


FOUND: list[str] = []
"""Every violation's message, in the order found (the report prints them)."""


def violated(message: str) -> Violation:
    STATS["violations"] += 1
    FOUND.append(message)
    with contextlib.suppress(InvalidArgument):
        event("violation")
    return Violation(message)


def check(condition: bool, message: str) -> None:
    STATS["invariant checks"] += 1
    if not condition:
        raise violated(message)


COVERED: tuple[str, ...] = (
    "completed ups (adopt: true)",
    "kills (creates in flight)",
    "previews before up, 0 writes",
    "refusals (records)",
    "refusals (duplicate name)",
    "records checked by id",
    "records moved to moved_to (by id)",
    "foreign objects checked",
    "writes checked",
)
"""Counters CI's tour must raise above 0 besides each step kind and fault kind (a machine adds
its own in `covered`)."""


def coverage(machine: type[SequenceMachine]) -> dict[str, int]:
    """The machine's coverage from its own statistics: each step kind that ran (not counting a
    step with nothing to act on), each fault kind that hit an `up`, and `COVERED`."""
    table = {f"step {name}": STATS[f"ran: {name}"] for name in dict.fromkeys(machine.TOUR)}
    from .faults import FAULTS  # noqa: PLC0415 - faults uses these statistics

    table |= {f"fault {kind}": STATS[f"fault hit: {kind}"] for kind in sorted(FAULTS)}
    table |= {key: STATS[key] for key in (*COVERED, *machine.covered)}
    return table


def assert_covered(machine: type[SequenceMachine]) -> None:
    """CI's fixed sequence walks every step kind and fault kind (a tour that silently stops
    covering one would still pass otherwise)."""
    missing = [key for key, count in coverage(machine).items() if count == 0]
    assert not missing, f"CI's sequence of {machine.adapter} never covered {missing}"


def report(
    request: pytest.FixtureRequest,
    title: str,
    started: float,
    machine: type[SequenceMachine] | None = None,
) -> None:
    lines = [f"{title}: {time.monotonic() - started:.0f}s"]
    lines += [f"  {key}: {STATS[key]}" for key in sorted(STATS)]
    if machine is not None:
        lines += ["  coverage (kind -> count):"]
        lines += [f"    {key}: {count}" for key, count in coverage(machine).items()]
    lines += [f"  violation {i}: {text}" for i, text in enumerate(FOUND, 1)]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():  # shown even when the test passes
        print("\n" + "\n".join(lines))
