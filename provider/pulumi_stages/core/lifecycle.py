"""Create, update and delete as pipelines of named steps, each a module, called in this order:

    validate (`checking`) -> identify (`identify`) -> adopt or recover (`adopt_or_recover`)
    -> write (`writing`) -> record (`recording`)

`ApiResourceProvider` hands each engine call here. A stage retired by its own resource (a
tombstone in state) takes its short path (`tombstones`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CreateResult, UpdateResult

from . import recording, tombstones, writing
from .adopt_or_recover import take_over
from .declared_inputs import changed
from .identify import identify
from .journal import memory_opens
from .retirement import guard_delete, is_tombstone, retiring
from .run import THIS_RUN

if TYPE_CHECKING:
    from .resource import ApiResourceProvider

PROVIDER_KEY = "__provider"


def create(provider: ApiResourceProvider, props: Mapping[str, Any]) -> CreateResult:
    """A new object, or an existing one taken over; its state."""
    inputs = provider.validated_inputs(props)  # validate
    if retiring(inputs):
        return tombstones.create(provider, props, inputs)
    account = provider.account()
    backend = provider.make_backend(account)
    target = identify(provider, account, props, inputs)  # identify
    existing = take_over(provider, account, backend, props, target)  # adopt or recover
    intent = None
    if existing is None:  # write
        remote, intent = writing.create(provider, account, backend, props, target)
    else:
        remote = writing.align(provider, account, backend, existing, target)
    return recording.created(  # record
        provider, account, props=props, inputs=inputs, target=target, remote=remote, intent=intent
    )


def update(
    provider: ApiResourceProvider, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
) -> UpdateResult:
    """Only the owned fields that changed are sent; none changed, nothing is."""
    wanted = provider.validated_inputs(news)  # validate
    if tombstones.applies(olds, wanted):
        return tombstones.update(provider, id_, olds, wanted)
    owned = provider.owned_fields(wanted)
    changes = {name: wanted[name] for name in changed(olds, wanted, owned)}  # identify
    if not changes:
        return UpdateResult({k: v for k, v in olds.items() if k != PROVIDER_KEY})
    remote = writing.update(provider, provider.account(), id_, changes)  # write
    return UpdateResult(provider.outputs_for(remote, wanted))  # record


def delete(provider: ApiResourceProvider, id_: str, props: Mapping[str, Any]) -> None:
    """Delete the object, refused while it holds records (a fresh count); nothing to do for a
    tombstone, or an object another resource of this run took over or its set retired."""
    kind = provider.kind
    if is_tombstone(props) or THIS_RUN.was_taken(kind, id_) or THIS_RUN.was_retired(kind, id_):
        return  # identify: nothing of it is this resource's to delete any more
    memory_opens(provider.memory())  # its journal entry follows the DELETE: sure of it first
    account = provider.account()
    backend = provider.make_backend(account)
    guard_delete(backend, provider.settings.api, str(props.get("name")), id_)  # nothing lost
    writing.delete(provider, account, backend, props, id_)  # write
    recording.deleted(provider, account, props, id_)  # record
