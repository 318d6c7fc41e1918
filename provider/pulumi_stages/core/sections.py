"""What every adapter's part of `stages.yaml` builds on: stage specs, duplicate checks, the
builder through which a section declares its resources inside a StageSet, and the lists of
stages it asks the set to declare (`declare_section`).

List position is stage order. Nothing here names an account-specific id: containers (boards,
pipelines) are named and resolved in each account, so one file promotes from dev to production.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import pulumi
from pydantic import BaseModel, ConfigDict, Field

from .models import Flag, Name

Location = tuple[str | int, ...]
"""Where in a declaration a value sits, e.g. ("capsule", "boards", 0, "stages", 2, "name")."""


class Spec(BaseModel):
    """A part of a declaration: unknown keys are refused, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid")


class StageSpec(Spec):
    """What every stage declares: its name and, optionally, a stable key."""

    name: Name
    key: Name | None = Field(
        default=None,
        description="Stable identity of the stage in Pulumi; defaults to its name. Keep the old "
        "name here when renaming, so the rename updates the stage instead of replacing it.",
    )

    @property
    def identity(self) -> str:
        """The key that names the stage's resource."""
        return self.key or self.name


class DeclaredStageSpec(StageSpec):
    """A stage the set manages: it may be adopted on its own (`adopt: true` on the stage)."""

    adopt: Flag = Field(
        default=False,
        description="Take over an existing stage with this name instead of creating one (the "
        "container's or section's `adopt` does it for all of theirs).",
    )


class RetiredStageSpec(StageSpec):
    """A stage the set no longer wants: where its records go before it is deleted, or that it
    stays in the CRM, no longer managed. Keep the entry until the `up` that retires it ran."""

    moved_to: Name | None = Field(
        default=None,
        description="A stage of the same list that receives this stage's records; then this "
        "stage is deleted.",
    )
    keep: Flag = Field(
        default=False, description="Leave the stage (and its records) in the CRM, unmanaged."
    )

    def control(self, destination_id: pulumi.Input[str] | None) -> dict[str, Any]:
        """The inputs that tell the stage's resource to retire it."""
        return {
            "retire": not self.keep or None,
            "keep": self.keep or None,
            "moved_to": self.moved_to,
            "moved_to_id": destination_id,
        }


def kept(retired: Sequence[RetiredStageSpec]) -> list[RetiredStageSpec]:
    """The retired entries that leave their stage in the CRM (`keep`): each keeps a resource,
    a tombstone in state. The set's ordering resource retires the others (`moved_to`), so
    their stage's resource leaves the program and the engine plans its delete."""
    return [entry for entry in retired if entry.keep]


def retired_problems(
    at: Location, stages: Sequence[StageSpec], retired: Sequence[RetiredStageSpec]
) -> list[tuple[Location, str]]:
    """Each retired entry says exactly one of `moved_to` and `keep`, moves to a stage still in
    the list, and is not also a live stage."""
    problems: list[tuple[Location, str]] = []
    names = {stage.name for stage in stages}
    identities = {stage.identity for stage in stages}
    for i, entry in enumerate(retired):
        where = (*at, i)
        if (entry.moved_to is None) == (not entry.keep):
            problems.append(
                (
                    (*where, "moved_to"),
                    "say where its records go (moved_to: <a stage of the "
                    "list>) or keep: true to leave it in the CRM, not both",
                )
            )
        elif entry.moved_to is not None and entry.moved_to not in names:
            problems.append(((*where, "moved_to"), f"no stage named {entry.moved_to!r} here"))
        if entry.name in names or entry.identity in identities:
            problems.append(((*where, "name"), f"{entry.name!r} is also declared as a stage"))
    return problems


@dataclass
class DeclaredSection:
    """What a section declared: attributes the StageSet exposes (e.g. `outreach_stages`) and
    each stage's id output by resource key, for the component's outputs."""

    attributes: dict[str, Any] = field(default_factory=dict)
    stage_ids: dict[str, pulumi.Output[str]] = field(default_factory=dict)


class SetBuilder(Protocol):
    """What the StageSet component offers a section while it declares its resources."""

    def resource_name(self, *parts: str) -> str:
        """`<set>/<adapter>/<part>/...`, each part encoded so distinct names never collide."""
        ...

    def stage_options(
        self, position_field: str, depends_on: Sequence[pulumi.Resource] = ()
    ) -> pulumi.ResourceOptions:
        """Options for a stage in the set: a child of it, its position hint ignored after
        create (the ordering resource owns the position)."""
        ...

    def child_options(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """Options for any other resource of the set."""
        ...

    def position_hint(self, index: int) -> int:
        """A new stage's first position: right on a fresh account, corrected by the order."""
        ...

    def order(
        self,
        kind: type[Any],
        resource_name: str,
        declared: Sequence[StageSpec],
        resources: Mapping[str, pulumi.CustomResource],
        released: Sequence[RetiredStageSpec] = (),
    ) -> None:
        """One ordering resource of `kind` over the declared stages (none for an empty list);
        `released` are the retired ones, which leave the order on purpose."""
        ...


@dataclass(frozen=True)
class StageList:
    """One list of stages, in display order, that a section asks the set to declare: `path`
    names their container's resources; each stage is `stage(resource_name, **shared, **own)`,
    its own arguments `live(spec, index)` or, for a retired entry that keeps its stage, its name
    and control; `order` is the class of the ordering resource over them."""

    path: Sequence[str]
    stages: Sequence[StageSpec]
    retired: Sequence[RetiredStageSpec]
    stage: Callable[..., pulumi.CustomResource]
    shared: Mapping[str, Any]
    live: Callable[[Any, int], Mapping[str, Any]]
    order: type[Any]


StageResources = dict[str, pulumi.CustomResource]
"""A list's stage resources by identity."""

Declaring = Generator[StageList, StageResources, DeclaredSection]
"""A section's declaration: it yields each list of its stages, is sent back that list's stage
resources by identity, and returns what it declared."""


class SectionSpec(Spec):
    """An adapter's section of a stage set."""

    attribute_names: ClassVar[tuple[str, ...]] = ()
    """The StageSet attributes `declare` fills (`outreach_stages`): empty mappings when the
    section is absent, so one program serves stacks with and without it."""

    def declare(self, builder: SetBuilder) -> Declaring:
        """Declare this section's resources through the builder, yielding each list of stages
        for `declare_section` to declare."""
        raise NotImplementedError

    def problems(self) -> list[tuple[Location, str]]:
        """What the section's schema cannot say, at its locations in the section: names or keys
        declared twice where they must be unique, retired entries that do not fit the list, a
        list the CRM cannot hold."""
        return []

    def stage_count(self) -> int:
        """How many stages the section declares."""
        raise NotImplementedError


def declare_section(builder: SetBuilder, section: SectionSpec) -> DeclaredSection:
    """Run a section's declaration. Each list of stages it yields is declared here, in order,
    with a resource for each retired entry that keeps its stage and the ordering resource over
    them (which retires the other entries); the section is sent the live stages' resources by
    identity, and what it returns is the result.

    The stages are constructed in this frame, with the section's own suspended: the SDK keeps
    every frame above a resource's constructor as its stack trace in state (about 100 bytes a
    frame, paid by every stage on every write of the state)."""
    declaring = section.declare(builder)
    if not isinstance(declaring, Generator):
        raise TypeError(_NOT_DECLARING.format(section=type(section).__name__, got=declaring))
    made: StageResources | None = None
    while True:
        try:
            wanted = next(declaring) if made is None else declaring.send(made)
        except StopIteration as done:
            if not isinstance(done.value, DeclaredSection):
                raise TypeError(_NOT_DECLARED.format(section=type(section).__name__)) from None
            return done.value
        if not isinstance(wanted, StageList):
            declaring.close()
            raise TypeError(_NOT_A_LIST.format(section=type(section).__name__, got=wanted))
        list_name = builder.resource_name(*wanted.path)
        try:
            made = {}
            for index, spec in enumerate(wanted.stages):
                resource_name = builder.resource_name(*wanted.path, spec.identity)
                made[spec.identity] = wanted.stage(
                    resource_name, **wanted.shared, **wanted.live(spec, index)
                )
            for entry in kept(wanted.retired):  # the order retires the others (`moved_to`)
                resource_name = builder.resource_name(*wanted.path, entry.identity)
                control = entry.control(None)
                wanted.stage(resource_name, **wanted.shared, name=entry.name, retirement=control)
            builder.order(wanted.order, list_name, wanted.stages, made, wanted.retired)
        except Exception as error:
            error.add_note(f"while declaring the stages of {list_name!r}")
            declaring.close()
            raise


_NOT_DECLARING = (
    "{section}.declare must be a generator that yields each list of its stages as a StageList "
    "(core.sections.Declaring); it returned {got!r}"
)
_NOT_DECLARED = "{section}.declare must end by returning its DeclaredSection"
_NOT_A_LIST = "{section}.declare must yield StageList objects; it yielded {got!r}"


def resource_part(text: str) -> str:
    """A name as part of a resource name: `%`, `/` and `:` percent-encoded, so two different
    names never make the same URN (`a/b` vs a board `a` with a stage `b`)."""
    return text.replace("%", "%25").replace("/", "%2F").replace(":", "%3A")


def repeats(items: Sequence[tuple[Location, str]], what: str) -> Iterator[tuple[Location, str]]:
    """Each value met a second time, with where it was first declared."""
    seen: dict[str, Location] = {}
    for location, value in items:
        if value in seen:
            first = seen[value]
            yield location, f"duplicate {what} {value!r} (first at {first[-2]}[{first[-1]}])"
        else:
            seen[value] = location[:-1]


def stage_repeats(at: Location, stages: Sequence[StageSpec]) -> list[tuple[Location, str]]:
    """Stage names, and stage identities (a key, else the name), each unique in one list."""
    names = [((*at, i, "name"), s.name) for i, s in enumerate(stages)]
    problems = list(repeats(names, "stage name"))
    named = {location[:-1] for location, _ in problems}
    keys = [((*at, i, "key" if s.key else "name"), s.identity) for i, s in enumerate(stages)]
    problems += [p for p in repeats(keys, "stage key") if p[0][:-1] not in named]
    return problems
