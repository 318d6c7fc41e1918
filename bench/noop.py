"""The benchmark floor: a dynamic provider that does nothing, declared in the stage set's shape.

`NoopSet` declares what a `StageSet` of N Outreach stages declares: one component, N stage-like
resources and one ordering-like resource over their ids, each with the same properties as ours
(a stage's name, colour, order and `ordered_by_set` inputs, its `stage_id`, `created_at` and
`updated_at` outputs, its order under `ignore_changes`; the order's sequence, ids, `released`
and `positions`). So the engine and the SDK do the same work for the same resources, whose
cost grows with each property a resource has, while the provider makes no API call at all.
`bench.engine` times our stage set against it. The provider must live in an importable module
(not `__main__`): dill pickles it by reference and the provider process imports it again
(`bench.engine` puts the checkout on PYTHONPATH for that); it lives in `bench.noop_provider`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import pulumi

from bench.noop_provider import NoopOrderProvider, NoopProvider, NoopStageProvider
from pulumi_stages.core import provider_bytes
from pulumi_stages.core.resource import ApiResource

provider_bytes.install(NoopProvider)  # serialized once per class, as ours are


class NoopStage(ApiResource, module="bench", name="NoopStage"):
    """A stage-like resource with an Outreach stage's properties (ApiResource undoes the
    pickler patch, and adds the owner and resource name ours carry)."""

    name: pulumi.Output[str]
    color: pulumi.Output[str | None]
    order: pulumi.Output[int | None]
    stage_id: pulumi.Output[int]
    created_at: pulumi.Output[str]
    updated_at: pulumi.Output[str]
    output_names: ClassVar[tuple[str, ...]] = ("stage_id", "created_at", "updated_at")

    def __init__(
        self,
        resource_name: str,
        name: str,
        position: int,
        *,
        color: str | None = None,
        adopt: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
        provider: NoopProvider | None = None,
    ) -> None:
        inputs = {
            "name": name,
            "color": color,
            "order": position,
            "adopt": adopt,
            "ordered_by_set": True,
        }
        super().__init__(provider or NoopStageProvider(), resource_name, inputs, opts)


class NoopOrder(ApiResource, module="bench", name="NoopOrder"):
    """An ordering-like resource: names in order and the ids of their resources."""

    sequence: pulumi.Output[list[str]]
    stages: pulumi.Output[dict[str, str]]
    positions: pulumi.Output[dict[str, int | None]]
    output_names: ClassVar[tuple[str, ...]] = ("positions",)

    def __init__(
        self,
        resource_name: str,
        sequence: Sequence[str],
        stages: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
        provider: NoopProvider | None = None,
    ) -> None:
        inputs = {"sequence": list(sequence), "stages": dict(stages), "released": []}
        super().__init__(provider or NoopOrderProvider(), resource_name, inputs, opts)


class NoopSet(pulumi.ComponentResource):
    """N no-op stages in `sequence` order, each at its own fixed `positions[name]` (ignored
    after create, as a set's position hints are) with its colour if `colors` has one and the
    `adopt` flag if set, and one no-op ordering resource over them: the same resources a
    StageSet of N stages declares. `loaded` takes the providers of
    `bench.noop_provider_loaded`, whose process imports what ours does; `stage_provider`, if
    given, answers for the stages (`bench.refresh_floor`'s floors that list the account)."""

    def __init__(
        self,
        name: str,
        sequence: Sequence[str],
        positions: Mapping[str, int],
        colors: Mapping[str, str] | None = None,
        *,
        adopt: bool = False,
        loaded: bool = False,
        stage_provider: NoopProvider | None = None,
    ) -> None:
        super().__init__("bench:index:NoopSet", name, None, None)
        if loaded and stage_provider is not None:
            raise ValueError("NoopSet takes `loaded` or a `stage_provider`, not both")
        order_provider = NoopOrderProvider()
        stage_provider = stage_provider or NoopStageProvider()
        if loaded:
            from bench.noop_provider_loaded import (  # noqa: PLC0415 - our package, only if asked
                LoadedOrderProvider,
                LoadedStageProvider,
            )

            stage_provider, order_provider = LoadedStageProvider(), LoadedOrderProvider()
        child = pulumi.ResourceOptions(parent=self)
        stage_options = pulumi.ResourceOptions(parent=self, ignore_changes=["order"])
        colors = colors or {}
        stages = {
            stage: NoopStage(
                f"{name}/noop/{stage}",
                stage,
                positions[stage],
                color=colors.get(stage),
                adopt=adopt or None,
                opts=stage_options,
                provider=stage_provider,
            )
            for stage in sequence
        }
        ids = {stage: resource.id for stage, resource in stages.items()}
        NoopOrder(f"{name}/noop", sequence, ids, child, order_provider)
        self.register_outputs({"ids": ids})  # as StageSet registers its stages' ids
