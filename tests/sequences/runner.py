"""Runs one CRM's machine as a test: CI's fixed tour (coverage asserted) or a timed soak."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from .machine import SequenceMachine
from .model import EXAMPLES, MINUTES, SOAK, STEPS, Context
from .stats import FOUND, STATS, assert_covered, report


def run_sequences(
    machine: type[SequenceMachine], context: Context, request: pytest.FixtureRequest
) -> None:
    """Run the machine's sequences (derandomized in CI, from the seed in a soak), print the
    statistics and the coverage table, and in CI assert that every kind was covered."""
    STATS.clear()
    FOUND.clear()
    started = time.monotonic()
    context.deadline = started + MINUTES * 60 if MINUTES else None
    phases = list(Phase) if SOAK else [Phase.explicit, Phase.reuse, Phase.generate]
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS or len(machine.TOUR) + 1,
                derandomize=not SOAK,
                database=None,
                deadline=None,
                phases=phases,
                print_blob=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        title = f"random sequences ({machine.adapter}, {'soak' if SOAK else 'CI'})"
        report(request, title, started, machine)
    if not SOAK:
        assert_covered(machine)
