"""The `pulumi_stages.outreach.Stage` resource and its dynamic provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi

from ..core.account import Account
from ..core.backend import Backend
from ..core.config import ApiSettings
from ..core.declared_inputs import DeclaredInputs
from ..core.ordering import OrderingProvider, OrderResource
from ..core.resource import ApiResource, ApiResourceProvider
from ..core.stage_inputs import stage_inputs
from .api import SETTINGS, OutreachDialect, OutreachStages


class OutreachStageProvider(ApiResourceProvider):
    """Creates, reads, updates and deletes Outreach stages; nothing forces a replace."""

    settings: ClassVar[ApiSettings] = SETTINGS
    dialect: ClassVar[OutreachDialect] = OutreachDialect()
    inputs: ClassVar[DeclaredInputs] = DeclaredInputs(
        ("name", "color", "order"), model=f"{__package__}.models.StageInputs"
    )
    kind: ClassVar[str] = "stage"
    position_field: ClassVar[str | None] = "order"

    def make_backend(self, account: Account) -> Backend:
        return OutreachStages(account.client)


class Stage(ApiResource, module="outreach", name="Stage"):
    """An Outreach pipeline stage (`stage` in API v2): a name, a colour and a display order."""

    name: pulumi.Output[str]
    color: pulumi.Output[str | None]
    order: pulumi.Output[int | None]
    stage_id: pulumi.Output[int]
    created_at: pulumi.Output[str]
    updated_at: pulumi.Output[str]
    output_names = ("stage_id", "created_at", "updated_at")

    def __init__(
        self,
        resource_name: str,
        name: pulumi.Input[str],
        *,
        color: pulumi.Input[str] | None = None,
        order: pulumi.Input[int] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[int | str] | None = None,
        ordered_by_set: bool | None = None,
        retirement: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a stage. `adopt=True` takes over an existing stage with the same name instead
        of creating one (an ambiguous name fails, naming the candidate ids); `adopt_id` takes over
        that exact stage. Either way only the fields that differ are sent."""
        inputs = stage_inputs(
            {"name": name, "color": color, "order": order},
            adopt=adopt,
            adopt_id=adopt_id,
            ordered_by_set=ordered_by_set,
            retirement=retirement,
        )
        super().__init__(OutreachStageProvider(), resource_name, inputs, opts)


class OutreachStageOrderProvider(OrderingProvider):
    """Positions Outreach stages through the stage provider's backend."""

    stage_provider: ClassVar[type[ApiResourceProvider]] = OutreachStageProvider


class StageOrder(OrderResource, module="outreach", name="StageOrder"):
    """The order of a stage set's Outreach stages; see `core.ordering`."""

    provider_class: ClassVar[type[OrderingProvider]] = OutreachStageOrderProvider
