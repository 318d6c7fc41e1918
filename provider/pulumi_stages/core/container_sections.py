"""Sections of containers (Capsule boards, HubSpot pipelines), each with its stages in order: the
container's spec, the checks of its names and keys, and how one list of stages is declared with
its retired entries and its order (a CRM without containers declares its one list the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
from pydantic import Field

from .models import Flag, Name
from .sections import (
    DeclaredStageSpec,
    Location,
    RetiredStageSpec,
    SetBuilder,
    Spec,
    kept,
    repeats,
    retired_problems,
    stage_repeats,
)

LiveStage = Callable[[str, Any, int], pulumi.CustomResource]
"""Declares one live stage: its resource name, its spec and its index in the list."""

RetiredStage = Callable[[str, RetiredStageSpec, Mapping[str, Any]], pulumi.CustomResource]
"""Declares one retired stage the CRM keeps: its resource name, its entry and its control."""


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


def declare_stage_list(
    builder: SetBuilder,
    path: Sequence[str],
    stages: Sequence[DeclaredStageSpec],
    retired: Sequence[RetiredStageSpec],
    *,
    live: LiveStage,
    retire: RetiredStage,
    order: type[Any],
) -> dict[str, pulumi.CustomResource]:
    """Declare one list of stages in order (`path` names their container's resources), a
    resource for each retired entry that keeps its stage, and the ordering resource over them,
    which carries out the other retirements; the live stages' resources by identity."""
    declared: dict[str, pulumi.CustomResource] = {}
    for index, stage in enumerate(stages):
        declared[stage.identity] = live(builder.resource_name(*path, stage.identity), stage, index)
    for entry in kept(retired):  # the order retires the others (`moved_to`)
        retire(builder.resource_name(*path, entry.identity), entry, entry.control(None))
    builder.order(order, builder.resource_name(*path), stages, declared, retired)
    return declared
