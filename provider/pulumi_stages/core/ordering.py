"""The ordering resource of a stage set: it owns the positions of the set's stages.

Stages in a set do not diff their position; this resource takes the set's stage ids in declared
order, reads the live positions, and rewrites only the stages outside the longest run already
in order (see `placement`). Its `sequence` input (the stage names) makes a reorder read as a
list in the preview.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeGuard

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from .backend import Backend
from .errors import StagesError
from .http import ApiClient
from .placement import plan_moves
from .resource import UNKNOWN, ApiResource, ApiResourceProvider


def _known(ids: Any) -> TypeGuard[list[Any]]:
    """Whether a list input is fully known (no unknown element during a preview)."""
    return isinstance(ids, list) and UNKNOWN not in ids


class OrderingProvider(ApiResourceProvider):
    """Positions the stages of one set (or one Capsule board) with the fewest writes."""

    stage_provider: ClassVar[type[ApiResourceProvider]]
    floor: ClassVar[int] = 0
    """The lowest position the API accepts."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        stage = cls.stage_provider
        cls.settings, cls.dialect, cls.inputs_model = (
            stage.settings,
            stage.dialect,
            stage.inputs_model,
        )

    @classmethod
    def listing_kind(cls) -> str:
        return cls.stage_provider.listing_kind()

    def make_backend(self, client: ApiClient) -> Backend:
        return self.stage_provider().make_backend(client)

    @property
    def field(self) -> str:
        """The stage input holding its position."""
        field = self.stage_provider.position_field
        if field is None:
            raise StagesError(f"{self.stage_provider.__name__} has no position to order by")
        return field

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self.guard_account()
        ids, names = news.get("stage_ids"), news.get("sequence")
        failures = []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            failures.append(CheckFailure("sequence", "sequence: must be a list of stage names"))
        elif _known(ids) and len(ids) != len(names):
            failures.append(CheckFailure("stage_ids", "stage_ids: must match sequence in length"))
        elif _known(ids) and len(set(ids)) != len(ids):
            failures.append(CheckFailure("stage_ids", "stage_ids: a stage appears twice"))
        return CheckResult({"stage_ids": ids, "sequence": names}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [
            name
            for name in ("sequence", "stage_ids")
            if not _known(news.get(name)) or news.get(name) != olds.get(name)
        ]
        return DiffResult(changes=bool(changed), replaces=[], stables=[])

    def _live_positions(self, backend: Backend, ids: Sequence[str]) -> dict[str, int | None]:
        """The live position of each of `ids` still in the account, from one listing."""
        wanted = set(ids)
        return {r.id: r.outs.get(self.field) for r in backend.list_all() if r.id in wanted}

    def _arrange(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Write the positions that must change; the outputs record what the account holds."""
        ids = [str(i) for i in props["stage_ids"]]
        with self._writing() as backend:
            live = self._live_positions(backend, ids)
            present = [i for i in ids if i in live]
            moves = plan_moves([live[i] for i in present], self.floor)
            for index, position in sorted(moves.items()):
                backend.update(present[index], {self.field: position})
                live[present[index]] = position
        return {
            "stage_ids": ids,
            "sequence": list(props["sequence"]),
            "positions": [live.get(i) for i in ids],
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(uuid.uuid4().hex, self._arrange(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._arrange(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The set as the account orders it now, so a reorder made by hand shows as drift."""
        ids = [str(i) for i in props.get("stage_ids") or []]
        names = dict(zip(ids, props.get("sequence") or [], strict=False))
        live = self._live_positions(self.backend(), ids)
        present = [i for i in ids if i in live]
        present.sort(key=lambda i: (live[i] is None, live[i] or 0, ids.index(i)))
        outs = {
            "stage_ids": present,
            "sequence": [names.get(i, "") for i in present],
            "positions": [live[i] for i in present],
        }
        return ReadResult(id_, outs, {"stage_ids": present, "sequence": outs["sequence"]})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to do: the stages keep their positions (or are deleted themselves)."""


class OrderResource(ApiResource):
    """Base of each adapter's `StageOrder` resource: the stage ids and names in declared order."""

    provider_class: ClassVar[type[OrderingProvider]]
    stage_ids: pulumi.Output[list[str]]
    sequence: pulumi.Output[list[str]]
    positions: pulumi.Output[list[int | None]]
    output_names = ("positions",)

    def __init__(
        self,
        resource_name: str,
        stage_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        sequence: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Order the stages `stage_ids` as listed; `sequence` names them for the preview."""
        inputs = {"stage_ids": stage_ids, "sequence": list(sequence)}
        super().__init__(self.provider_class(), resource_name, inputs, opts)
