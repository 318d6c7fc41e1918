"""The ordering resource of a stage set: it owns the positions of the set's stages.

Stages in a set do not diff their position; this resource takes the set's stage names in
declared order (`sequence`, which a preview shows as a list) and their ids (`stages`), reads the
live positions from the account's listing, and rewrites only the stages outside the longest run
already in order (see `placement`). It works through its stage provider (composition): the same
account context, backend and listing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import provider_bytes, refreshed_inputs
from .backend import Remote
from .errors import RecordsInStage, StagesMissing
from .placement import plan_moves
from .preview_reads import reading
from .resource import PROVIDER_KEY, ApiResource, ApiResourceProvider
from .retirement import guard_deletes
from .set_retirements import (
    DONE_KEY,
    LINES_KEY,
    RETIRING_KEY,
    RetiredStillDeclared,
    Retirements,
    remembered,
)
from .unknowns import is_unknown

WRITERS = 4
"""Position writes in flight at once: each move is independent, and the account's shared rate
budget still paces them (the provider process itself runs 4 gRPC calls at a time)."""


def _known(stages: Any) -> bool:
    """Whether the stage ids are all known (during a preview new stages' ids are not)."""
    return isinstance(stages, dict) and not any(is_unknown(v) for v in stages.values())


class OrderingProvider(ResourceProvider):
    """Positions the stages of one set (or one container) with the fewest writes."""

    stage_provider: ClassVar[type[ApiResourceProvider]]
    floor: ClassVar[int] = 0
    """The lowest position the API accepts."""
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._stages = self.stage_provider()
        self._retirements = Retirements(self._stages)

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._stages = self.stage_provider()
        self._retirements = Retirements(self._stages)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.stage_provider.position_field is None:
            raise TypeError(f"{cls.stage_provider.__name__} has no position to order by")

    def configure(self, req: ConfigureRequest) -> None:
        self._stages.configure(req)

    @property
    def field(self) -> str:
        """The stage input holding its position."""
        field = self.stage_provider.position_field
        assert field is not None  # checked when the class was made
        return field

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self._stages.guard()
        names, stages = news.get("sequence"), news.get("stages")
        released = news.get("released") or []
        failures = []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            failures.append(CheckFailure("sequence", "sequence: must be a list of stage names"))
        elif len(set(names)) != len(names):
            failures.append(CheckFailure("sequence", "sequence: a stage is listed twice"))
        elif not is_unknown(stages) and not isinstance(stages, dict):
            failures.append(CheckFailure("stages", "stages: must map each stage name to its id"))
        elif isinstance(stages, dict) and set(stages) != set(names):
            failures.append(CheckFailure("stages", "stages: must name the stages in sequence"))
        else:
            known = {str(v) for v in (stages or {}).values() if not is_unknown(v)}
            failures += self._removals_holding_records(olds, known, released)
        inputs = {"sequence": names, "stages": stages, "released": released}
        moves = news.get("moved_to") or {}
        if moves and not failures:
            try:
                inputs.update(self._retirements.plan(olds, moves, stages))
            except RetiredStillDeclared as refused:
                failures.append(CheckFailure("moved_to", str(refused)))
        return CheckResult(inputs, failures)

    def _removals_holding_records(
        self, olds: Mapping[str, Any], kept_ids: set[str], released: list[str]
    ) -> list[CheckFailure]:
        """Stages (by id: a rename keeps its id) that leave the set without a `retired:` entry
        are deleted: refuse each that still holds records (or whose count is not confirmed), at
        preview and before any write, naming it and the count. An account that cannot be read
        fails the check: the guard is never skipped."""
        before = olds.get("stages")
        if not isinstance(before, dict):
            return []
        removed = {
            n: str(i) for n, i in before.items() if str(i) not in kept_ids and n not in released
        }
        if not removed:
            return []
        settings = self.stage_provider.settings
        try:
            with reading(settings, "count the records of the stages this change deletes"):
                account = self._stages.account()
                backend = self._stages.make_backend(account)
                guard_deletes(backend, settings.api, removed)
        except RecordsInStage as refused:
            return [CheckFailure("sequence", str(refused))]
        return []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = news.get("sequence") != olds.get("sequence") or not _known(news.get("stages"))
        changed = changed or news.get("stages") != olds.get("stages")
        changed = changed or self._out_of_order(olds) or bool(news.get(RETIRING_KEY))
        known = [str(i) for i in (olds.get("stages") or {}).values() if not is_unknown(i)]
        if changed and known:  # a plan that moves stages fails on a token the account refuses
            self._confirm_readable()
        return DiffResult(changes=changed, replaces=[], stables=[])

    def _confirm_readable(self) -> None:
        """The account answers the token, read through the listing the update reads anyway
        (kept for the run): a preview pays that listing, an `up` no extra request."""
        stages = self._stages
        with reading(stages.settings, "read the stages it orders"):
            account = stages.account()
            account.confirm_readable(lambda: stages.listed(account, stages.make_backend(account)))

    def _out_of_order(self, olds: Mapping[str, Any]) -> bool:
        """Whether the last known positions (after a refresh: the live ones) fail to increase
        along the sequence: ties and missing positions a sort of names cannot show."""
        positions = olds.get("positions") or {}
        names = olds.get("sequence") or []
        return bool(plan_moves([positions.get(name) for name in names], self.floor))

    def _positions(self, listed: Iterable[Remote], ids: Iterable[str]) -> dict[str, int | None]:
        """The position of each of `ids` found in a listing of the account."""
        wanted = set(ids)
        return {r.id: r.outs.get(self.field) for r in listed if r.id in wanted}

    def _live(self, ids: Iterable[str]) -> dict[str, int | None]:
        """Live positions from the account's listing of the stages (written through, so it
        holds every write this process made)."""
        stages = self._stages
        account = stages.account()
        return self._positions(stages.listed(account, stages.make_backend(account)), ids)

    def _present(self, props: Mapping[str, Any]) -> dict[str, int | None]:
        """The live positions of the set's stages; refuses, before any write, when one of them
        is gone from the account (nothing is retired or reordered then)."""
        names = list(props["sequence"])
        ids = {name: str(props["stages"][name]) for name in names}
        live = self._live(ids.values())
        missing = [name for name in names if ids[name] not in live]
        if missing:
            raise StagesMissing(
                f"{self.stage_provider.settings.api} no longer has the stage(s) "
                f"{', '.join(missing)} of this set; nothing was retired or reordered. Run "
                "`pulumi refresh`, then `pulumi up`."
            )
        return live

    def _arrange(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Write the positions that must change; the outputs record what the account holds."""
        names = list(props["sequence"])
        ids = {name: str(props["stages"][name]) for name in names}
        live = self._present(props)
        moves = plan_moves([live[ids[name]] for name in names], self.floor)
        account = self._stages.account()

        def move(index: int, position: int) -> None:
            id_ = ids[names[index]]
            self._stages.write(account, lambda b: b.update(id_, {self.field: position}))

        with ThreadPoolExecutor(WRITERS) as pool:
            done = [pool.submit(move, i, p) for i, p in sorted(moves.items())]
        for future in done:
            future.result()  # the first failure, once every write has ended
        for index, position in moves.items():
            live[ids[names[index]]] = position
        positions = {name: live[ids[name]] for name in names}
        return {"sequence": names, "stages": ids, "positions": positions}

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._present(props)
        retired = self._retirements.carry_out(props)
        return CreateResult(uuid.uuid4().hex, {**self._arrange(props), **retired})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._present(news)
        retired = self._retirements.carry_out(news)
        return UpdateResult({**self._arrange(news), **retired})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The set as the account orders it now, so a reorder made by hand shows as drift."""
        names = list(props.get("sequence") or [])
        ids = {name: str(stage_id) for name, stage_id in (props.get("stages") or {}).items()}
        live = self._live(ids.values())
        present = [name for name in names if ids.get(name) in live]
        present.sort(key=lambda n: (live[ids[n]] is None, live[ids[n]] or 0, names.index(n)))
        stages = {name: ids[name] for name in present}
        read: dict[str, Any] = {"sequence": present, "stages": stages}
        outs = {**read, "positions": {name: live[ids[name]] for name in present}}
        done = remembered(props)
        if done:  # a refresh keeps what the set retired, so it is never retired twice
            read[DONE_KEY] = outs[DONE_KEY] = done
        elif DONE_KEY in props:  # an empty list stays in the outputs, or it shows as drift
            outs[DONE_KEY] = done
        state = refreshed_inputs.state_inputs()
        if state is None:  # the engine keeps the state's inputs; the outputs show the drift
            return ReadResult(id_, outs)
        # what else it declared stays as it was, less the last check's plan of retirements: the
        # up that state records carried it out (it is in `retired` now), and a plan kept in the
        # inputs would make every refresh's diff see a retirement still to do
        planned = (PROVIDER_KEY, RETIRING_KEY, LINES_KEY)
        kept = {key: value for key, value in state.items() if key not in planned}
        return ReadResult(id_, outs, {**kept, **read})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """The set (or its container) goes: before any of its stages does, refuse if one holds
        records, naming each (the engine deletes this resource first, since it depends on the
        stages). Stages deleted with their container (HubSpot's, `deleted_with`) are never
        deleted one by one, so this is their records guard; the positions need no write."""
        stages = props.get("stages")
        if not isinstance(stages, dict) or not stages:
            return
        account = self._stages.account()
        backend = self._stages.make_backend(account)
        named = {str(name): str(id_) for name, id_ in stages.items()}
        guard_deletes(backend, self.stage_provider.settings.api, named)


class OrderResource(ApiResource):
    """Base of each adapter's `StageOrder` resource: stage names in order, and their ids."""

    provider_class: ClassVar[type[OrderingProvider]]
    sequence: pulumi.Output[list[str]]
    stages: pulumi.Output[dict[str, str]]
    positions: pulumi.Output[dict[str, int | None]]
    output_names = ("positions",)
    field_notes: ClassVar[Mapping[str, str]] = {
        "sequence": "The set's stage names in display order.",
        "stages": "Each stage's id, by stage name.",
        "released": "Stages the set retires: they leave the order without the records check.",
    }

    def __init__(
        self,
        resource_name: str,
        sequence: Sequence[str],
        stages: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
        released: Sequence[str] = (),
        *,
        moved_to: Mapping[str, str] | None = None,
    ) -> None:
        """Order the stages as `sequence` lists them; `stages` maps each name to its id (a
        mapping, so a preview of a reorder shows only the list of names changing). `released`
        names stages the set retires: they leave the order without the records check;
        `moved_to` maps each retired stage to the stage of `sequence` its records move to."""
        inputs: dict[str, Any] = {
            "sequence": list(sequence),
            "stages": dict(stages),
            "released": list(released),
        }
        if moved_to:
            inputs["moved_to"] = dict(moved_to)
        super().__init__(self.provider_class(), resource_name, inputs, opts)


provider_bytes.install(OrderingProvider)
