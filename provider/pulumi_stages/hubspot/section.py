"""The `hubspot:` section of a stage set: pipelines by label under their object type (`deals`,
`tickets`, `leads`, `orders`, `services`, `appointments`, `courses`, `listings`, and
`custom_objects` keyed by type id), each with its stages in order; pipelines are found or created
by label in each account."""

from __future__ import annotations

import functools
from collections.abc import Callable, Generator, Sequence
from typing import Annotated, Any, ClassVar

import pulumi
from pydantic import Field, StringConstraints

from ..core.container_sections import ContainerSpec, container_problems
from ..core.models import Flag, Name, ObjectId
from ..core.sections import (
    DeclaredSection,
    DeclaredStageSpec,
    Declaring,
    Location,
    RetiredStageSpec,
    SectionSpec,
    SetBuilder,
    StageList,
    StageResources,
)
from .kinds import OTHER_TYPES, most_stages
from .models import DealProbability, TicketState
from .object_stages import Stage, StageOrder
from .stage import DealStage, DealStageOrder, Pipeline, TicketStage, TicketStageOrder

CUSTOM_EXAMPLE = "2-1"
"""Any custom object's type id: they all take as many stages."""

CustomTypeId = Annotated[str, StringConstraints(pattern=r"^2-[0-9]+$")]
"""[doc] a custom object's type id, `2-` and a number (its name is not accepted)."""


class DealStageSpec(DeclaredStageSpec):
    """One deal stage: HubSpot needs its probability of closing."""

    probability: DealProbability = Field(
        description="Likelihood that a deal in this stage closes, 0.0 to 1.0 (1.0 won, 0.0 lost)."
    )

    def fields(self) -> dict[str, Any]:
        """The stage's own fields, as resource inputs."""
        return {"probability": self.probability}


class TicketStageSpec(DeclaredStageSpec):
    """One ticket stage."""

    ticket_state: TicketState = Field(
        default=None, description="OPEN (the default) or CLOSED: whether tickets here are closed."
    )

    def fields(self) -> dict[str, Any]:
        """The stage's own fields, as resource inputs."""
        return {"ticket_state": self.ticket_state}


class ObjectStageSpec(DeclaredStageSpec):
    """One stage of another object type's pipeline: a name ([doc] only deal stages need
    metadata)."""

    def fields(self) -> dict[str, Any]:
        """The stage's own fields, as resource inputs: none beyond its name."""
        return {}


NO_STAGES = "needs at least one stage: HubSpot keeps one in every pipeline (adopt it to list none)"
"""[doc] PipelineInput requires its stages, and HubSpot keeps one stage per pipeline."""

PIPELINE_ID_HELP = (
    "HubSpot's id of an existing pipeline to take over whatever its label in this account "
    "(`default`: the deal pipeline every portal starts with, labelled in the portal's language); "
    "its label becomes `name`."
)


class PipelineSpec(ContainerSpec):
    """What pipelines of every object type declare besides their stages."""

    key: Name | None = Field(
        default=None,
        description="Stable identity of the pipeline in Pulumi; defaults to its name. Keep the "
        "old name here when renaming, so the rename is one update of the label in place (its "
        "stages untouched) instead of a new pipeline.",
    )
    id: ObjectId = Field(default=None, description=PIPELINE_ID_HELP)


class DealPipelineSpec(PipelineSpec):
    """A deal pipeline, found or created by label (or taken over by id), and its stages in
    display order."""

    stages: list[DealStageSpec] = Field(default_factory=list)
    retired: list[RetiredStageSpec] = Field(
        default_factory=list,
        description="Stages to take out: their deals move to `moved_to` (a stage of this "
        "pipeline) first, or `keep`.",
    )


class TicketPipelineSpec(PipelineSpec):
    """A ticket pipeline, found or created by label (or taken over by id), and its stages in
    display order."""

    stages: list[TicketStageSpec] = Field(default_factory=list)
    retired: list[RetiredStageSpec] = Field(
        default_factory=list,
        description="Stages to take out: their tickets move to `moved_to` first, or `keep`.",
    )


class ObjectPipelineSpec(PipelineSpec):
    """A custom object's pipeline, found or created by label (or taken over by id), and its
    stages in display order ([doc] at most 100)."""

    stages: list[ObjectStageSpec] = Field(
        default_factory=list, max_length=most_stages(CUSTOM_EXAMPLE)
    )
    retired: list[RetiredStageSpec] = Field(
        default_factory=list,
        description="Stages to take out: their records move to `moved_to` first, or `keep`.",
    )


class LimitedPipelineSpec(ObjectPipelineSpec):
    """A lead, order, service, appointment, course or listing pipeline, found or created by
    label (or taken over by id), and its stages in display order ([doc] at most 30)."""

    stages: list[ObjectStageSpec] = Field(default_factory=list, max_length=most_stages("leads"))


AnyPipelineSpec = DealPipelineSpec | TicketPipelineSpec | ObjectPipelineSpec


class HubSpotSection(SectionSpec):
    """HubSpot pipelines of every object type that has them, with their stages."""

    attribute_names: ClassVar[tuple[str, ...]] = ("hubspot_pipelines", "hubspot_stages")

    adopt: Flag = Field(
        default=False, description="Take over existing pipelines and stages with these labels."
    )
    deals: list[DealPipelineSpec] = Field(default_factory=list)
    tickets: list[TicketPipelineSpec] = Field(default_factory=list)
    leads: list[LimitedPipelineSpec] = Field(
        default_factory=list, description="Lead pipelines (Sales Hub Professional, Enterprise)."
    )
    orders: list[LimitedPipelineSpec] = Field(default_factory=list)
    services: list[LimitedPipelineSpec] = Field(default_factory=list)
    appointments: list[LimitedPipelineSpec] = Field(default_factory=list)
    courses: list[LimitedPipelineSpec] = Field(default_factory=list)
    listings: list[LimitedPipelineSpec] = Field(default_factory=list)
    custom_objects: dict[CustomTypeId, list[ObjectPipelineSpec]] = Field(
        default_factory=dict,
        description="Pipelines of custom objects, keyed by the object's type id (`2-12345`; "
        "Enterprise accounts).",
    )

    def _all(self) -> list[tuple[str, AnyPipelineSpec]]:
        found: list[tuple[str, AnyPipelineSpec]] = [("deals", p) for p in self.deals]
        found += [("tickets", p) for p in self.tickets]
        for object_type in OTHER_TYPES:
            found += [(object_type, p) for p in getattr(self, object_type)]
        for type_id, pipelines in self.custom_objects.items():
            found += [(type_id, p) for p in pipelines]
        return found

    def declare(self, builder: SetBuilder) -> Declaring:
        declared = DeclaredSection(attributes={"hubspot_pipelines": {}, "hubspot_stages": {}})
        for object_type, spec in self._all():
            pipeline, stages = yield from self._declare_pipeline(builder, object_type, spec)
            for identity, stage in stages.items():
                declared.stage_ids[f"{object_type}/{spec.name}/{identity}"] = stage.id
            declared.attributes["hubspot_pipelines"][(object_type, spec.name)] = pipeline
            declared.attributes["hubspot_stages"][(object_type, spec.name)] = stages
        return declared

    def _declare_pipeline(
        self, builder: SetBuilder, object_type: str, spec: AnyPipelineSpec
    ) -> Generator[StageList, StageResources, tuple[Pipeline, StageResources]]:
        """The pipeline, created with its stages, and the stage resources that take them over
        (by identity; retired ones and the order declared too)."""
        stage_class = _stage_class(object_type)
        live: Sequence[DealStageSpec | TicketStageSpec | ObjectStageSpec] = spec.stages
        seed = [
            {"name": s.name, "display_order": builder.position_hint(i), **s.fields()}
            for i, s in enumerate(live)
        ]
        pipeline = Pipeline(
            builder.resource_name(object_type, spec.identity),
            name=spec.name,
            object_type=object_type,
            seed=seed,
            adopt=self.adopt or spec.adopt or None,
            adopt_id=spec.id,
            opts=builder.child_options(),
        )

        stages = yield StageList(
            path=(object_type, spec.identity),
            stages=live,
            retired=spec.retired,
            stage=stage_class,
            shared={
                # its pipeline by identity: known in a preview (unlike pipeline.name), and a
                # keyed rename of the pipeline never replaces its stages
                "pipeline": spec.identity,
                "pipeline_id": pipeline.id,  # a replaced pipeline replaces its stages
                "ordered_by_set": True,
                "opts": _with(pipeline, builder.stage_options("display_order", [pipeline])),
            },
            live=lambda stage, index: {
                **stage.fields(),
                "name": stage.name,
                "display_order": builder.position_hint(index),
                # by id, the pipeline's stages too
                "adopt": self.adopt or spec.adopt or spec.id is not None or stage.adopt or None,
            },
            order=_order_class(object_type),
        )
        return pipeline, stages

    def problems(self) -> list[tuple[Location, str]]:
        problems: list[tuple[Location, str]] = []
        for object_type in dict.fromkeys(t for t, _ in self._all()):
            pipelines = [p for t, p in self._all() if t == object_type]
            at = _where(object_type)
            problems += container_problems(at, pipelines, "pipeline")
            problems += [
                ((*at, i, "stages"), NO_STAGES)
                for i, pipeline in enumerate(pipelines)
                if not (pipeline.stages or any(entry.keep for entry in pipeline.retired))
                and not (self.adopt or pipeline.adopt or pipeline.id)
            ]
        return problems

    def stage_count(self) -> int:
        return sum(len(p.stages) for _, p in self._all())


def _where(object_type: str) -> Location:
    """Where an object type's pipelines sit in the section (`custom_objects` by type id)."""
    return (object_type,) if object_type[0].isalpha() else ("custom_objects", object_type)


def _stage_class(object_type: str) -> Callable[..., pulumi.CustomResource]:
    """What declares a stage of the type: DealStage, TicketStage, or Stage of that type."""
    if object_type == "deals":
        return DealStage
    if object_type == "tickets":
        return TicketStage
    return functools.partial(Stage, object_type=object_type)


def _order_class(object_type: str) -> type[Any]:
    """What orders the type's stages in one pipeline."""
    if object_type == "deals":
        return DealStageOrder
    if object_type == "tickets":
        return TicketStageOrder
    return StageOrder.for_type(object_type)


def _with(pipeline: Pipeline, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """A stage's options, deleted with its pipeline: [doc] HubSpot refuses to delete a
    pipeline's last stage, and the pipeline's delete (validated for records) removes them all."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(deleted_with=pipeline))
