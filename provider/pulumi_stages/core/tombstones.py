"""Tombstones: a stage its resource retires (`retirement=`: `keep`, or `moved_to` outside a
stage set) stays in state, marked `retired`, until the declaration goes. Its create, update,
diff and read take this short path; a stage set's `moved_to` entries go through the set's
order instead (`set_retirements`), so their preview counts a delete.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from . import adoption, writing
from .account import Account
from .declared_inputs import CONTROL_FIELDS
from .duplicates import OWN_KEYS
from .errors import AmbiguousAdoption, StagesMissing
from .retirement import RETIRED_KEY, is_tombstone, retiring

if TYPE_CHECKING:
    from .resource import ApiResourceProvider


def applies(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether an update retires the stage, or declares a kept one again."""
    return retiring(news) or olds.get(RETIRED_KEY) == "kept"


def diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
    """Retiring a live stage is an update; a kept stage declared again is an update in place;
    a stage retired and gone, declared again, is a replace (a new stage); a tombstone still
    retired has nothing to do."""
    if olds.get(RETIRED_KEY) == "kept" and not retiring(news):
        return DiffResult(changes=True, replaces=[], stables=[])
    if is_tombstone(olds) and not retiring(news):
        return DiffResult(changes=True, replaces=["retire", "keep"], stables=[])
    return DiffResult(changes=not is_tombstone(olds), replaces=[], stables=[])


def _own(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: props[key] for key in OWN_KEYS if props.get(key)}


def _retired(
    provider: ApiResourceProvider, account: Account, id_: str, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """Retire a live stage; the tombstone's outputs."""
    outs = provider.retire_stage(account, id_, inputs)
    return {"name": inputs.get("name"), **outs, **_own(inputs)}


def create(
    provider: ApiResourceProvider, props: Mapping[str, Any], inputs: Mapping[str, Any]
) -> CreateResult:
    """A retired entry this stack never managed (a promotion): the stage of that identity is
    retired; none in the account, the tombstone says so."""
    account = provider.account()
    backend = provider.make_backend(account)
    found = adoption.matching(provider.listed(account, backend), provider.identity_of(inputs))
    if len(found) > 1:
        ids = ", ".join(sorted((r.id for r in found), key=adoption.id_order))
        raise AmbiguousAdoption(
            f"{provider.settings.api} has {len(found)} stages named {inputs.get('name')!r} "
            f"(ids {ids}); nothing was retired. Rename or remove the extra one by hand."
        )
    if len(found) == 1:
        return CreateResult(found[0].id, _retired(provider, account, found[0].id, inputs))
    gone = {
        "name": inputs.get("name"),
        RETIRED_KEY: "kept" if inputs.get("keep") else "moved",
        **_own(props),
    }
    return CreateResult(f"retired-{uuid.uuid4().hex}", gone)


def update(
    provider: ApiResourceProvider, id_: str, olds: Mapping[str, Any], wanted: Mapping[str, Any]
) -> UpdateResult:
    """Retire the live stage, or manage a kept one again (its declared fields written)."""
    account = provider.account()
    if retiring(wanted):
        return UpdateResult(_retired(provider, account, id_, wanted))
    existing = provider.make_backend(account).read(id_)
    if existing is None:
        raise StagesMissing(
            f"{provider.settings.api} no longer has the kept stage {id_}; run `pulumi refresh`, "
            "then `pulumi up` creates it again"
        )
    fields = provider.api_values(wanted)
    changes = adoption.differences(existing, fields, provider.owned_fields(wanted))
    remote = writing.update(provider, account, id_, changes) if changes else existing
    return UpdateResult(provider.outputs_for(remote, wanted))


def read(id_: str, props: Mapping[str, Any], provider_key: str) -> ReadResult:
    """Nothing of a tombstone is managed in the CRM any more: it reads as it is."""
    outs = {k: v for k, v in props.items() if k != provider_key}
    kept = (*CONTROL_FIELDS, *OWN_KEYS)
    return ReadResult(id_, outs, {k: v for k, v in outs.items() if k in kept})
