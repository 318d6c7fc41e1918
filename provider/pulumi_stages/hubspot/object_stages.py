"""Stages of the other object types' pipelines (leads, orders, services, appointments, courses,
listings, custom objects): one `Stage` resource and one `StageOrder` parametrized by object type.

Each object type gets its own provider classes, made once and kept in this module under names
that spell the type (`StageProvider_leads`, `StageOrderProvider_2_12345`): a pickled provider
names its class, and the provider process makes the same class again on import (`__getattr__`),
so the class (and with it the object type) survives the trip while the instance stays empty.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi

from ..core.declared_inputs import DeclaredInputs
from ..core.ordering import OrderingProvider, OrderResource
from ..core.stage_inputs import stage_inputs
from .kinds import kind_of, slug, stage_word, unslug
from .stage import STAGE_FIELDS, STAGE_PROVIDERS, HubSpotStageProvider, _Stage

STAGE_PREFIX = "StageProvider_"
ORDER_PREFIX = "StageOrderProvider_"


def _kept(name: str, base: type, body: dict[str, Any]) -> Any:
    """The class `name` of this module, made from `base` and `body` the first time."""
    made = globals().get(name)
    if made is None:
        made = type(name, (base,), {"__module__": __name__, "__qualname__": name, **body})
        globals()[name] = made
    return made


def stage_provider(object_type: str) -> type[HubSpotStageProvider]:
    """The stage provider of an object type (deals and tickets keep their own)."""
    if object_type in STAGE_PROVIDERS:
        return STAGE_PROVIDERS[object_type]
    kind = kind_of(object_type)
    body = {
        "__doc__": f"Stages of {kind.object_type} pipelines: a label and a position.",
        "objects": kind,
        "kind": stage_word(kind),
        "inputs": DeclaredInputs(
            (*STAGE_FIELDS, "object_type"), model=f"{__package__}.models.ObjectStageInputs"
        ),
    }
    made: type[HubSpotStageProvider] = _kept(
        STAGE_PREFIX + slug(object_type), HubSpotStageProvider, body
    )
    return made


def order_provider(object_type: str) -> type[OrderingProvider]:
    """The provider positioning an object type's stages through its stage provider."""
    body = {"stage_provider": stage_provider(object_type)}
    made: type[OrderingProvider] = _kept(ORDER_PREFIX + slug(object_type), OrderingProvider, body)
    return made


def __getattr__(name: str) -> Any:
    """The providers `stage_provider` and `order_provider` make, by name (on unpickling)."""
    for prefix, make in ((STAGE_PREFIX, stage_provider), (ORDER_PREFIX, order_provider)):
        if name.startswith(prefix):
            return make(unslug(name.removeprefix(prefix)))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Stage(_Stage, module="hubspot", name="Stage"):
    """A stage of a lead, order, service, appointment, course, listing or custom object
    pipeline named in this account (deal and ticket stages are `DealStage`, `TicketStage`)."""

    object_type: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        name: pulumi.Input[str],
        pipeline: pulumi.Input[str],
        *,
        object_type: str,
        pipeline_id: pulumi.Input[str] | None = None,
        display_order: pulumi.Input[int] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[str] | None = None,
        ordered_by_set: bool | None = None,
        retirement: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a stage of an `object_type` pipeline (`leads`, ..., or `2-12345`)."""
        if object_type in STAGE_PROVIDERS:
            raise ValueError(f"{object_type} stages are DealStage or TicketStage resources")
        fields = {
            "name": name,
            "pipeline": pipeline,
            "pipeline_id": pipeline_id,
            "display_order": display_order,
            "object_type": object_type,
        }
        inputs = stage_inputs(
            fields,
            adopt=adopt,
            adopt_id=adopt_id,
            ordered_by_set=ordered_by_set,
            retirement=retirement,
        )
        super().__init__(stage_provider(object_type)(), resource_name, inputs, opts)


class StageOrder(OrderResource, module="hubspot", name="StageOrder"):
    """The order of a stage set's stages in one pipeline of another object type; see
    `core.ordering`. `for_type` gives the class for one object type."""

    provider_class: ClassVar[type[OrderingProvider]]

    @classmethod
    def for_type(cls, object_type: str) -> type[StageOrder]:
        """This resource for one object type's stages (same Pulumi type, its own provider)."""
        provider = order_provider(object_type)
        made: type[StageOrder] = types.new_class(
            f"StageOrder_{slug(object_type)}",
            (cls,),
            {"module": "hubspot", "name": "StageOrder"},
            lambda ns: ns.update(provider_class=provider),
        )
        return made
