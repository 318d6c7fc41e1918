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

LiveInputs = Callable[[Any, int], Mapping[str, Any]]
"""A live stage's own arguments to its resource class, from its spec and its index in the list."""


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
    stage: Callable[..., pulumi.CustomResource],
    shared: Mapping[str, Any],
    live: LiveInputs,
    order: type[Any],
) -> dict[str, pulumi.CustomResource]:
    """Declare one list of stages in order (`path` names their container's resources), a
    resource for each retired entry that keeps its stage, and the ordering resource over them,
    which carries out the other retirements; the live stages' resources by identity.

    Each stage is `stage(resource_name, **shared, **own)`, its own arguments `live(spec, index)`
    or, for a retired entry, its name and control; called here and nowhere deeper: the SDK
    keeps every frame above a resource's constructor as its stack trace in state, so each frame
    between the set and its stages (about 100 bytes) is paid by every stage on every write."""
    declared: dict[str, pulumi.CustomResource] = {}
    for index, spec in enumerate(stages):
        resource_name = builder.resource_name(*path, spec.identity)
        declared[spec.identity] = stage(resource_name, **shared, **live(spec, index))
    for entry in kept(retired):  # the order retires the others (`moved_to`)
        resource_name = builder.resource_name(*path, entry.identity)
        stage(resource_name, **shared, name=entry.name, retirement=entry.control(None))
    builder.order(order, builder.resource_name(*path), stages, declared, retired)
    return declared
