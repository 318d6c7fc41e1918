"""The benchmark floor: a dynamic provider that does nothing, declared in the stage set's shape.

`NoopSet` declares what a `StageSet` of N Outreach stages declares: one component, N stage-like
resources and one ordering-like resource over their ids, each with the same properties as ours
(a stage's name, colour, order and `ordered_by_set` inputs, its `stage_id`, `created_at` and
`updated_at` outputs, its order under `ignore_changes`; the order's sequence, ids, `released`
and `positions`). So the engine and the SDK do the same work for the same resources, whose
cost grows with each property a resource has, while the provider makes no API call at all.
`bench.engine` times our stage set against it. The provider must live in an importable module
(not `__main__`): dill pickles it by reference and the provider process imports it again
(`bench.engine` puts the checkout on PYTHONPATH for that).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from pulumi_stages.core.resource import PROVIDER_KEY, ApiResource


def _inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


class NoopProvider(ResourceProvider):
    """Create returns a fresh id and the inputs; diff compares inputs; nothing else happens."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, _inputs(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(olds.get(k) != v for k, v in _inputs(news).items())
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_inputs(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete."""


class NoopStageProvider(NoopProvider):
    """A no-op stage: created with an id and timestamps the way the API answers one."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        stage_id = uuid.uuid4().int % 1_000_000
        outs = {**_inputs(props), "stage_id": stage_id, "created_at": now, "updated_at": now}
        return CreateResult(str(stage_id), outs)


class NoopOrderProvider(NoopProvider):
    """A no-op order: created with each stage's position, as the ordering resource answers."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        positions = {name: (i + 1) * 10 for i, name in enumerate(props["sequence"])}
        return CreateResult(uuid.uuid4().hex, {**_inputs(props), "positions": positions})


class NoopStage(ApiResource, module="bench", name="NoopStage"):
    """A stage-like resource with an Outreach stage's properties (ApiResource undoes the
    pickler patch, and adds the owner and resource name ours carry)."""

    output_names: ClassVar[tuple[str, ...]] = ("stage_id", "created_at", "updated_at")

    def __init__(
        self,
        resource_name: str,
        name: str,
        position: int,
        color: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"name": name, "color": color, "order": position, "ordered_by_set": True}
        super().__init__(NoopStageProvider(), resource_name, inputs, opts)


class NoopOrder(ApiResource, module="bench", name="NoopOrder"):
    """An ordering-like resource: names in order and the ids of their resources."""

    output_names: ClassVar[tuple[str, ...]] = ("positions",)

    def __init__(
        self,
        resource_name: str,
        sequence: Sequence[str],
        stages: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"sequence": list(sequence), "stages": dict(stages), "released": []}
        super().__init__(NoopOrderProvider(), resource_name, inputs, opts)


class NoopSet(pulumi.ComponentResource):
    """N no-op stages in `sequence` order, each at its own fixed `positions[name]` (ignored
    after create, as a set's position hints are) with its colour if `colors` has one, and one
    no-op ordering resource over them: the same resources a StageSet of N stages declares."""

    def __init__(
        self,
        name: str,
        sequence: Sequence[str],
        positions: Mapping[str, int],
        colors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__("bench:index:NoopSet", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        stage_options = pulumi.ResourceOptions(parent=self, ignore_changes=["order"])
        colors = colors or {}
        stages = {
            stage: NoopStage(
                f"{name}/noop/{stage}", stage, positions[stage], colors.get(stage), stage_options
            )
            for stage in sequence
        }
        ids = {stage: resource.id for stage, resource in stages.items()}
        NoopOrder(f"{name}/noop", sequence, ids, child)
        self.register_outputs({"ids": ids})  # as StageSet registers its stages' ids
