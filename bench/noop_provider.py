"""The floor's dynamic providers: they answer as ours do and make no API call.

Kept apart from `bench.noop` so the provider process, which imports the module a provider was
pickled from, imports only `pulumi`: the floor's process starts as lean as a provider can.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult
from pulumi.dynamic.dynamic import PROVIDER_KEY

COMPUTED = ("stage_id", "created_at", "updated_at")
"""What the API computes for a stage, as Outreach answers it."""

_IDS = itertools.count(int(uuid.uuid4().int % 1_000_000) * 1_000)


def _inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


class NoopProvider(ResourceProvider):
    """Create returns a fresh id and the inputs; diff compares inputs; nothing else happens.
    It pickles no state, as ours do, so the SDK serializes it once per class (`provider_bytes`)."""

    serialize_as_secret_always = False

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Nothing to restore."""

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
    """A no-op stage, kept in state as ours is: the API's id and timestamps among its outputs,
    and no position when the set's order owns it."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        stage_id = next(_IDS)
        outs = {**self._outputs(props), "stage_id": stage_id, "created_at": now, "updated_at": now}
        return CreateResult(str(stage_id), outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(olds.get(k) != v for k, v in self._outputs(news).items() if k not in COMPUTED)
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**{k: olds.get(k) for k in COMPUTED}, **self._outputs(news)})

    @staticmethod
    def _outputs(props: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs as outputs, less the position when the set orders the stage."""
        outs = _inputs(props)
        if outs.get("ordered_by_set"):
            outs.pop("order", None)
        return {k: v for k, v in outs.items() if k not in COMPUTED or v is not None}


class NoopOrderProvider(NoopProvider):
    """A no-op order, kept in state as ours is: each stage's position among its outputs."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, self._outputs(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._outputs(news))

    @staticmethod
    def _outputs(props: Mapping[str, Any]) -> dict[str, Any]:
        positions = {name: (i + 1) * 10 for i, name in enumerate(props["sequence"])}
        return {**_inputs(props), "positions": positions}
