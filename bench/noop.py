"""The benchmark floor: a dynamic provider that does nothing, declared in the stage set's shape.

`NoopSet` declares what a `StageSet` of N Outreach stages declares (one component, N stage-like
resources, one ordering-like resource over their ids), so the engine does the same work for the
same resource count while the provider makes no API call at all. `bench.engine` times our stage
set against it. The provider must live in an importable module (not `__main__`): dill pickles
it by reference and the provider process imports it again (`bench.engine` puts the checkout on
PYTHONPATH for that).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

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


class NoopStage(ApiResource, module="bench", name="NoopStage"):
    """A stage-like resource: a name and a position (ApiResource undoes the pickler patch)."""

    def __init__(
        self,
        resource_name: str,
        name: str,
        position: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"name": name, "position": position}
        super().__init__(NoopProvider(), resource_name, inputs, opts)


class NoopOrder(ApiResource, module="bench", name="NoopOrder"):
    """An ordering-like resource: names in order and the ids of their resources."""

    def __init__(
        self,
        resource_name: str,
        sequence: Sequence[str],
        stages: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = {"sequence": list(sequence), "stages": dict(stages)}
        super().__init__(NoopProvider(), resource_name, inputs, opts)


class NoopSet(pulumi.ComponentResource):
    """N no-op stages in `sequence` order, each at its own fixed `positions[name]`, and one
    no-op ordering resource over them: the same resources a StageSet of N stages declares."""

    def __init__(self, name: str, sequence: Sequence[str], positions: Mapping[str, int]) -> None:
        super().__init__("bench:index:NoopSet", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        stages = {
            stage: NoopStage(f"{name}/noop/{stage}", stage, positions[stage], child)
            for stage in sequence
        }
        ids = {stage: resource.id for stage, resource in stages.items()}
        NoopOrder(f"{name}/noop", sequence, ids, child)
        self.register_outputs({"ids": ids})  # as StageSet registers its stages' ids
