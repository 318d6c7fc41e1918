"""Sections of containers (Capsule boards, HubSpot pipelines), each with its stages in order: the
container's spec and the checks of its names and keys (each container's stages are a
`StageList`, declared as a CRM without containers declares its one list).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from .models import Flag, Name
from .sections import (
    DeclaredStageSpec,
    Location,
    RetiredStageSpec,
    Spec,
    repeats,
    retired_problems,
    stage_repeats,
)


class ContainerSpec(Spec):
    """A container found or created by name, with its stages in display order; an adapter's
    container narrows `stages` to its own stage spec and may add fields."""

    name: Name
    key: Name | None = Field(
        default=None,
        description="Stable identity of the container in Pulumi; defaults to its name. Keep the "
        "old name here when renaming.",
    )
    adopt: Flag = Field(
        default=False,
        description="Take over the existing one of this name and its stages instead of "
        "creating it (the section's `adopt` does it for all).",
    )
    stages: Sequence[DeclaredStageSpec] = Field(default_factory=list)
    retired: list[RetiredStageSpec] = Field(
        default_factory=list,
        description="Stages to take out: their records move to `moved_to` (a stage of this "
        "list) first, or `keep`.",
    )

    @property
    def identity(self) -> str:
        """The key that names the container's resources (and its stages')."""
        return self.key or self.name


def container_problems(
    at: Location, containers: Sequence[ContainerSpec], noun: str
) -> list[tuple[Location, str]]:
    """Container names unique in the list (keys too, when any is given), and in each container
    its stage names and keys unique and its retired entries sound."""
    names = [((*at, i, "name"), c.name) for i, c in enumerate(containers)]
    problems = list(repeats(names, f"{noun} name"))
    if any(c.key for c in containers):  # else a repeated key is a repeated name
        keys = [((*at, i, "key"), c.identity) for i, c in enumerate(containers)]
        problems += list(repeats(keys, f"{noun} key"))
    for i, container in enumerate(containers):
        problems += stage_repeats((*at, i, "stages"), container.stages)
        problems += retired_problems((*at, i, "retired"), container.stages, container.retired)
    return problems
