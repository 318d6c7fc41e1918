"""The `pulumi_stages.hubspot` resources: Pipeline, DealStage, TicketStage and their orders.

A pipeline is created with its declared stages in one POST (HubSpot's PipelineInput carries
them); the create writes each seeded stage to this stack's create journal, so the stage resources
that follow take those stages over instead of creating them again: 1 write for a whole pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CheckFailure, CreateResult, ReadResult

from ..core.account import Account
from ..core.backend import Backend, Remote
from ..core.config import ApiSettings
from ..core.declared_inputs import DeclaredInputs
from ..core.errors import DeleteRefused, StagesError
from ..core.ordering import OrderingProvider, OrderResource
from ..core.resource import ApiResource, ApiResourceProvider
from ..core.stage_inputs import stage_inputs
from .api import (
    DEALS,
    SETTINGS,
    TICKETS,
    Home,
    HubSpotDialect,
    HubSpotPipelines,
    HubSpotStages,
    ObjectKind,
    homes,
)
from .kinds import kind_of, pipeline_word, slug, stage_word, unslug
from .wire import stage_outputs


class PipelineKeepsAStage(StagesError):
    """HubSpot refuses to delete a pipeline's last stage."""


class ReferencedByWorkflow(StagesError):
    """[doc] From 2026-09 HubSpot refuses to delete a pipeline or stage a workflow references."""

    def __init__(self, what: str, name: Any, id_: str, refused: DeleteRefused) -> None:
        super().__init__(
            f"HubSpot refused to delete {what} {name!r} (id {id_}): a workflow references it "
            f"(HubSpot said: {refused.refusal.message}). It is kept, in HubSpot and in the "
            f"stack's state. Take the {what} out of that workflow in HubSpot (or point the "
            "workflow elsewhere), then run `pulumi up` again."
        )
        self.refusal = refused.refusal


def names_a_workflow(refused: DeleteRefused) -> bool:
    """Whether a delete's refusal is a workflow reference. guess: told by HubSpot's message,
    which names the workflow; a real refusal's subCategory would be a surer sign."""
    return "workflow" in refused.refusal.message.lower()


STAGE_FIELDS = ("name", "pipeline", "pipeline_id", "display_order")
"""The API fields every object type's stage declares (`models.StageInputs`)."""


def stage_identity(name: str, pipeline: str, pipeline_id: str) -> dict[str, Any]:
    """What picks out a stage: its label, and its pipeline's label and id."""
    return {"name": name, "pipeline": pipeline, "pipeline_id": pipeline_id}


class HubSpotStageProvider(ApiResourceProvider):
    """Stages of one object type's pipelines; moving one to another pipeline is a replace."""

    settings: ClassVar[ApiSettings] = SETTINGS
    dialect: ClassVar[HubSpotDialect] = HubSpotDialect()
    objects: ClassVar[ObjectKind]
    replace_on: ClassVar[frozenset[str]] = frozenset({"pipeline", "pipeline_id"})
    position_field: ClassVar[str | None] = "display_order"
    identity_fields: ClassVar[tuple[str, ...]] = ("name", "pipeline", "pipeline_id")

    def make_backend(self, account: Account) -> Backend:
        return HubSpotStages(account, self.objects, self.kind)

    def outputs_for(self, remote: Remote, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """As any stage; one that follows its pipeline's id (as in a set) keeps the declared
        label of its pipeline: a pipeline renamed by hand is the Pipeline's drift, never a
        replace of its stages."""
        outs = dict(super().outputs_for(remote, inputs))
        if inputs.get("pipeline_id") is not None and inputs.get("pipeline"):
            outs["pipeline"] = inputs["pipeline"]
        return outs

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """As any stage; [doc] HubSpot keeps at least one stage in every pipeline, so the last
        stage's delete is refused, and that refusal says so. A stage set's stages are deleted
        with their pipeline (`deleted_with`), so the engine skips this call when the pipeline's
        own delete removes them; a refusal here is always an error, never success."""
        try:
            super().delete(id_, props)
        except DeleteRefused as refused:
            if refused.refusal.status != 400:  # guess: the last-stage refusal's status
                raise
            if names_a_workflow(refused):
                raise ReferencedByWorkflow("stage", props.get("name"), id_, refused) from None
            home = HubSpotStages(self.account(), self.objects, self.kind).sole_stage_home(id_)
            if home is None:
                raise
            raise PipelineKeepsAStage(
                f"a HubSpot pipeline keeps at least one stage: {props.get('name')!r} (id {id_}) "
                f"is the last stage of pipeline {home.pipeline!r} (id {home.pipeline_id}), so "
                "HubSpot refused to delete it; it is kept, in HubSpot and in the stack's state. "
                "Declare another stage in that pipeline first, or delete the pipeline (a stage "
                "set's stages go with their Pipeline; a single stage resource takes "
                "`deleted_with=<its Pipeline resource>`)."
            ) from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """As any stage, the pipeline's label kept as `outputs_for` keeps it."""
        result = super().read(id_, props)
        if result.id and result.inputs is not None and result.outs is not None:
            result.inputs["pipeline"] = result.outs.get("pipeline")
        return result


class DealStageProvider(HubSpotStageProvider):
    """Deal stages: a label and a probability."""

    objects: ClassVar[ObjectKind] = DEALS
    kind: ClassVar[str] = "dealstage"  # one word, as HubSpot names the property
    inputs: ClassVar[DeclaredInputs] = DeclaredInputs(
        (*STAGE_FIELDS, "probability"), model=f"{__package__}.models.DealStageInputs"
    )


class TicketStageProvider(HubSpotStageProvider):
    """Ticket stages: a label and a ticket state."""

    objects: ClassVar[ObjectKind] = TICKETS
    kind: ClassVar[str] = "ticketstage"
    inputs: ClassVar[DeclaredInputs] = DeclaredInputs(
        (*STAGE_FIELDS, "ticket_state"), model=f"{__package__}.models.TicketStageInputs"
    )


STAGE_PROVIDERS: dict[str, type[HubSpotStageProvider]] = {
    "deals": DealStageProvider,
    "tickets": TicketStageProvider,
}


class HubSpotPipelineProvider(ApiResourceProvider):
    """Pipelines of one object type: label and position change in place; `seed` is only the
    stages a new pipeline is created with, never diffed."""

    settings: ClassVar[ApiSettings] = SETTINGS
    dialect: ClassVar[HubSpotDialect] = HubSpotDialect()
    objects: ClassVar[ObjectKind]
    inputs: ClassVar[DeclaredInputs] = DeclaredInputs(
        ("name", "display_order", "seed"), model=f"{__package__}.models.PipelineInputs"
    )
    editable: ClassVar[frozenset[str] | None] = frozenset({"name", "display_order"})

    def make_backend(self, account: Account) -> Backend:
        return HubSpotPipelines(account, self.objects)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """As any pipeline; a workflow reference's refusal says so."""
        try:
            super().delete(id_, props)
        except DeleteRefused as refused:
            if refused.refusal.status == 400 and names_a_workflow(refused):
                raise ReferencedByWorkflow("pipeline", props.get("name"), id_, refused) from None
            raise

    def owned_fields(self, inputs: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(name for name in super().owned_fields(inputs) if name != "seed")

    def creation_problem(self, inputs: Mapping[str, Any]) -> CheckFailure | None:
        """[doc] PipelineInput requires its stages: an adopted pipeline the portal lacks, which
        the `up` would create, must be created with one."""
        if inputs.get("seed"):
            return None
        return CheckFailure(
            "adopt",
            f"no {self.kind} labelled {inputs.get('name')!r} in this portal to adopt, and a new "
            "one needs at least one stage: HubSpot keeps one in every pipeline. List a stage "
            "under it, create it in HubSpot first, or give its `id`; nothing was created",
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create (or adopt) the pipeline; stages it was created with go to the journal and the
        stage listing, for the stage resources to take over."""
        result = super().create(props)
        outs = {k: v for k, v in dict(result.outs or {}).items() if k not in ("seeded", "seed")}
        seeded = (result.outs or {}).get("seeded")
        if not seeded and self.recovers(props):
            seeded = self._recovered_seed(props, str(result.id))
        if seeded:
            self.hand_over_seeded_stages(props, str(result.id), str(outs.get("name")), seeded)
        return CreateResult(result.id, outs)

    def _recovered_seed(self, props: Mapping[str, Any], pipeline_id: str) -> list[dict[str, Any]]:
        """A pipeline a dead `up` of this stack created (its journal intent, `recovers`): its POST
        seeded the declared stages but the run died before handing them over, so they are read
        now and the ones whose labels were in the declared seed are handed over as the answered
        POST would have."""
        declared = {str(s.get("name")) for s in props.get("seed") or []}
        if not declared:
            return []
        backend = HubSpotPipelines(self.account(), self.objects)
        return [s for s in backend.stages_of(pipeline_id) if str(s.get("label")) in declared]

    def hand_over_seeded_stages(
        self, props: Mapping[str, Any], pipeline_id: str, label: str, seeded: list[dict[str, Any]]
    ) -> None:
        """The stages the pipeline's POST made go to the stage resources that declare them."""
        account = self.account()
        stage_kind = stage_word(self.objects)
        for stage in seeded:
            outs = stage_outputs(self.objects.object_type, stage, pipeline_id, label)
            remote = Remote(id=str(stage["id"]), outs=outs)
            identity = stage_identity(outs["name"], label, pipeline_id)
            homes(account).put(self.objects.object_type, remote.id, Home(pipeline_id, label))
            self.hand_over(account, props, stage_kind, identity, remote)


class DealPipelineProvider(HubSpotPipelineProvider):
    """Deal pipelines."""

    objects: ClassVar[ObjectKind] = DEALS
    kind: ClassVar[str] = "deal pipeline"
    noun: ClassVar[str] = "pipeline"


class TicketPipelineProvider(HubSpotPipelineProvider):
    """Ticket pipelines."""

    objects: ClassVar[ObjectKind] = TICKETS
    kind: ClassVar[str] = "ticket pipeline"
    noun: ClassVar[str] = "pipeline"


PIPELINE_PROVIDERS: dict[str, type[HubSpotPipelineProvider]] = {
    "deals": DealPipelineProvider,
    "tickets": TicketPipelineProvider,
}
PIPELINE_PROVIDER_PREFIX = "PipelineProvider_"


def pipeline_provider(object_type: str) -> type[HubSpotPipelineProvider]:
    """The pipeline provider of an object type: the deal and ticket ones above, else a class
    made once per type and kept in this module under `PipelineProvider_<type>`, so a pickled
    provider names it and the provider process makes it again on import (`__getattr__`)."""
    if object_type in PIPELINE_PROVIDERS:
        return PIPELINE_PROVIDERS[object_type]
    name = PIPELINE_PROVIDER_PREFIX + slug(object_type)
    made = globals().get(name)
    if made is None:
        kind = kind_of(object_type)
        made = type(
            name,
            (HubSpotPipelineProvider,),
            {
                "__module__": __name__,
                "__qualname__": name,
                "__doc__": f"{kind.object_type} pipelines.",
                "objects": kind,
                "kind": pipeline_word(kind),
                "noun": "pipeline",
            },
        )
        globals()[name] = made
    return made


def __getattr__(name: str) -> Any:
    """Pipeline providers of other object types, by the name `pipeline_provider` gives them."""
    if name.startswith(PIPELINE_PROVIDER_PREFIX):
        return pipeline_provider(unslug(name.removeprefix(PIPELINE_PROVIDER_PREFIX)))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Pipeline(ApiResource, module="hubspot", name="Pipeline"):
    """A HubSpot pipeline of any object type that has them (deals, tickets, leads, orders,
    services, appointments, courses, listings, or a custom object by its type id), found or
    created by label in each account."""

    name: pulumi.Output[str]
    object_type: pulumi.Output[str]
    display_order: pulumi.Output[int | None]
    pipeline_id: pulumi.Output[str]
    output_names = ("object_type", "pipeline_id", "created_at", "updated_at")
    field_notes: ClassVar[Mapping[str, str]] = {
        "object_type": "The pipeline's object type: deals or tickets."
    }

    def __init__(
        self,
        resource_name: str,
        name: pulumi.Input[str],
        *,
        object_type: str = "deals",
        display_order: pulumi.Input[int] | None = None,
        seed: Sequence[Mapping[str, Any]] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a pipeline of `object_type` (`deals`, `tickets`, `leads`, ..., or `2-12345`);
        `seed` are the stages (name, display_order, probability or ticket_state) it is created
        with, in the same request."""
        inputs: dict[str, Any] = {
            "name": name,
            "object_type": object_type,  # picks the provider; the package door reads it here
            "display_order": display_order,
            "seed": [dict(s) for s in seed] if seed is not None else None,
            "adopt": adopt,
            "adopt_id": adopt_id,
        }
        ignore = pulumi.ResourceOptions(ignore_changes=["seed"])
        provider = pipeline_provider(object_type)()
        super().__init__(
            provider, resource_name, inputs, pulumi.ResourceOptions.merge(opts, ignore)
        )


class _Stage(ApiResource):
    """What deal and ticket stages share."""

    name: pulumi.Output[str]
    pipeline: pulumi.Output[str]
    pipeline_id: pulumi.Output[str]
    display_order: pulumi.Output[int | None]
    stage_id: pulumi.Output[str]
    output_names = ("stage_id", "created_at", "updated_at")


class DealStage(_Stage, module="hubspot", name="DealStage"):
    """A stage of a deal pipeline named in this account (a label, or a Pipeline's id)."""

    probability: pulumi.Output[float | None]

    def __init__(
        self,
        resource_name: str,
        name: pulumi.Input[str],
        pipeline: pulumi.Input[str],
        *,
        probability: pulumi.Input[float] | None = None,
        pipeline_id: pulumi.Input[str] | None = None,
        display_order: pulumi.Input[int] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[str] | None = None,
        ordered_by_set: bool | None = None,
        retirement: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a deal stage; HubSpot needs a `probability` (0.0 to 1.0) to create one."""
        fields = {
            "name": name,
            "pipeline": pipeline,
            "pipeline_id": pipeline_id,
            "display_order": display_order,
            "probability": probability,
        }
        inputs = stage_inputs(
            fields,
            adopt=adopt,
            adopt_id=adopt_id,
            ordered_by_set=ordered_by_set,
            retirement=retirement,
        )
        super().__init__(DealStageProvider(), resource_name, inputs, opts)


class TicketStage(_Stage, module="hubspot", name="TicketStage"):
    """A stage of a ticket pipeline named in this account."""

    ticket_state: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        name: pulumi.Input[str],
        pipeline: pulumi.Input[str],
        *,
        ticket_state: pulumi.Input[str] | None = None,
        pipeline_id: pulumi.Input[str] | None = None,
        display_order: pulumi.Input[int] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[str] | None = None,
        ordered_by_set: bool | None = None,
        retirement: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a ticket stage; `ticket_state` is OPEN (the default) or CLOSED."""
        fields = {
            "name": name,
            "pipeline": pipeline,
            "pipeline_id": pipeline_id,
            "display_order": display_order,
            "ticket_state": ticket_state,
        }
        inputs = stage_inputs(
            fields,
            adopt=adopt,
            adopt_id=adopt_id,
            ordered_by_set=ordered_by_set,
            retirement=retirement,
        )
        super().__init__(TicketStageProvider(), resource_name, inputs, opts)


class DealStageOrderProvider(OrderingProvider):
    """Positions deal stages through the deal stage provider's backend."""

    stage_provider: ClassVar[type[ApiResourceProvider]] = DealStageProvider


class TicketStageOrderProvider(OrderingProvider):
    """Positions ticket stages."""

    stage_provider: ClassVar[type[ApiResourceProvider]] = TicketStageProvider


class DealStageOrder(OrderResource, module="hubspot", name="DealStageOrder"):
    """The order of a stage set's stages in one deal pipeline; see `core.ordering`."""

    provider_class: ClassVar[type[OrderingProvider]] = DealStageOrderProvider


class TicketStageOrder(OrderResource, module="hubspot", name="TicketStageOrder"):
    """The order of a stage set's stages in one ticket pipeline."""

    provider_class: ClassVar[type[OrderingProvider]] = TicketStageOrderProvider
