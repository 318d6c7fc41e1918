"""What a stage set declares, as pydantic models: the shape of `stages.yaml` and of its schema.

List position is stage order. Nothing here names an account-specific id: boards are named and
resolved in each account, so one file can be promoted from dev to production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..core.models import Flag, HexColor, Name, OptionalText

Location = tuple[str | int, ...]
"""Where in a declaration a value sits, e.g. ("capsule", "boards", 0, "stages", 2, "name")."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StageSpec(_Spec):
    """What every stage declares: its name and, optionally, a stable key."""

    name: Name
    key: str | None = Field(
        default=None,
        description="Stable identity of the stage in Pulumi; defaults to its name. Keep the old "
        "name here when renaming, so the rename updates the stage instead of replacing it.",
    )

    @property
    def identity(self) -> str:
        """The key that names the stage's resource."""
        return self.key or self.name


class OutreachStageSpec(StageSpec):
    """One Outreach stage."""

    color: HexColor = None


class OutreachSection(_Spec):
    """Outreach stages, in display order."""

    adopt: Flag = Field(default=False, description="Take over existing stages with these names.")
    stages: list[OutreachStageSpec] = []


class CapsuleStageSpec(StageSpec):
    """One Capsule stage."""

    description: OptionalText = None


class CapsuleBoardSpec(_Spec):
    """A Capsule board, found or created by name, and its stages in display order."""

    name: Name
    description: OptionalText = None
    stages: list[CapsuleStageSpec] = []


class CapsuleSection(_Spec):
    """Capsule boards with their stages."""

    adopt: Flag = Field(
        default=False, description="Take over existing boards and stages with these names."
    )
    boards: list[CapsuleBoardSpec] = []


class StageSetSpec(_Spec):
    """A stage set: Outreach stages and Capsule boards, each list in display order."""

    outreach: OutreachSection | None = None
    capsule: CapsuleSection | None = None


def resource_part(text: str) -> str:
    """A name as part of a resource name: `%`, `/` and `:` percent-encoded, so two different
    names never make the same URN (`a/b` vs a board `a` with a stage `b`)."""
    return text.replace("%", "%25").replace("/", "%2F").replace(":", "%3A")


def _repeats(items: Sequence[tuple[Location, str]], what: str) -> Iterator[tuple[Location, str]]:
    seen: dict[str, Location] = {}
    for location, value in items:
        if value in seen:
            first = seen[value]
            yield location, f"duplicate {what} {value!r} (first at {first[-2]}[{first[-1]}])"
        else:
            seen[value] = location[:-1]


def _stage_repeats(at: Location, stages: Sequence[StageSpec]) -> list[tuple[Location, str]]:
    """Stage names, and stage identities (a key, else the name), each unique in one list."""
    names = [((*at, i, "name"), s.name) for i, s in enumerate(stages)]
    problems = list(_repeats(names, "stage name"))
    named = {location[:-1] for location, _ in problems}
    keys = [((*at, i, "key" if s.key else "name"), s.identity) for i, s in enumerate(stages)]
    problems += [p for p in _repeats(keys, "stage key") if p[0][:-1] not in named]
    return problems


def duplicates(spec: StageSetSpec) -> list[tuple[Location, str]]:
    """Every stage or board name (or stage key) declared twice where it must be unique."""
    problems: list[tuple[Location, str]] = []
    if spec.outreach is not None:
        problems += _stage_repeats(("outreach", "stages"), spec.outreach.stages)
    if spec.capsule is not None:
        boards = spec.capsule.boards
        names = [(("capsule", "boards", i, "name"), b.name) for i, b in enumerate(boards)]
        problems += _repeats(names, "board name")
        for b, board in enumerate(boards):
            problems += _stage_repeats(("capsule", "boards", b, "stages"), board.stages)
    return problems


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `stages.yaml`, as editors and `pulumi-stages schema` use it."""
    schema = StageSetSpec.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "pulumi-stages stage set (stages.yaml)",
    }


def json_schema_text() -> str:
    """The schema generated from the models: indented JSON with a final newline."""
    return json.dumps(json_schema(), indent=2) + "\n"


def shipped_schema_text() -> str:
    """The schema file that ships in the package (a test keeps it equal to the generated one)."""
    return resources.files(__package__).joinpath("stages.schema.json").read_text()
