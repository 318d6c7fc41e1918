"""The machine's model of a declaration, its settings and its choices."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

from .stats import STATS

SOAK = os.environ.get("STAGES_SOAK") == "1"
EXAMPLES = int(os.environ.get("STAGES_SOAK_EXAMPLES", "1000" if SOAK else "1"))
MINUTES = float(os.environ.get("STAGES_SOAK_MINUTES", "5")) if SOAK else None
"""A soak's time budget per CRM: once spent, the remaining sequences do nothing."""
STEPS = int(os.environ.get("STAGES_SOAK_STEPS", "0"))
"""Steps per sequence; 0: one more than the machine's tour (its first sequence visits every
step kind)."""
PROJECT = Path(__file__).parent.parent / "projects" / "sequences"
SPEC_FILE = "sequence-spec.json"

NAMES = ("Lead", "Demo", "Proposal", "Won", "Lost", "Brief", "Build", "Review", "Done", "Hold")
COLORS = ("#9e9e9e", "#5951ff", "#00a3e0", "#2ecc71", "#e74c3c", "#f1c40f")
TEXTS = ("Define the work", "In flight", "Waiting on client", "Signed off", "Parked")
BOARD_TEXTS = ("Delivery of sold work", "Sales pipeline", "Projects", "Archive me not")
SPREAD = 2**16 + 1
PICK = st.integers(0, SPREAD - 1)


# ---------------------------------------------------------------- the model


@dataclass
class StageModel:
    """One declared stage."""

    name: str
    key: str | None = None
    color: str | None = None
    description: str | None = None

    @property
    def identity(self) -> str:
        return self.key or self.name


@dataclass
class Retired:
    name: str
    key: str | None
    moved_to: str

    @property
    def identity(self) -> str:
        return self.key or self.name


@dataclass
class Container:
    """Outreach's one list of stages, or one Capsule board."""

    name: str
    description: str | None = None
    stages: list[StageModel] = field(default_factory=list)
    retired: list[Retired] = field(default_factory=list)

    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def taken(self) -> set[str]:
        """Names and identities a new name must avoid in this list."""
        return (
            {s.name for s in self.stages}
            | {s.identity for s in self.stages}
            | {r.name for r in self.retired}
            | {r.identity for r in self.retired}
        )


@dataclass
class Applied:
    """What the last completed `up` left, per container: identity -> (name, account id)."""

    stages: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    boards: dict[str, str] = field(default_factory=dict)
    """Capsule: board name -> id (and its description below)."""
    board_descriptions: dict[str, str | None] = field(default_factory=dict)
    spec: str = ""
    """The declaration as JSON, to tell whether anything is pending."""


T = TypeVar("T")
ENGINE_LOST = ("Resource monitor has terminated", "failed to connect to all addresses")
REFUSALS = ("already has a", " holds ")
"""Signs of a run whose inline program lost its engine, and of a refusal (never repeated)."""
R = TypeVar("R")


def choose(items: list[T], pick: int) -> T:
    return items[pick % len(items)]


@dataclass
class Context:
    """What the pytest fixtures hand the machines."""

    pulumi_home: Path
    base: Path
    deadline: float | None = None
    """`time.monotonic()` past which a new sequence does nothing (a soak's time budget)."""

    def out_of_time(self) -> bool:
        """Whether the budget is spent; never once a sequence failed (its shrinking must
        replay it)."""
        spent = self.deadline is not None and time.monotonic() > self.deadline
        return spent and not STATS["failed sequences"]


CONTEXT: Context | None = None


def retired_entry(retired: Retired) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": retired.name, "moved_to": retired.moved_to}
    if retired.key:
        entry["key"] = retired.key
    return entry
