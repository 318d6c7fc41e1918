"""Write: the step that sends one create, update or delete, and keeps the account context true
to its outcome (the API's answer written through; an unknown outcome forgets that kind).

A create first appends its intent to the stack's create journal (write-ahead), so a killed `up`
can be recovered; the record step closes the intent with the API's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import adoption, recovery
from .account import Account
from .backend import Backend, Remote
from .errors import ApiError
from .retirement import delete_or_refuse

if TYPE_CHECKING:
    from .identify import Target
    from .resource import ApiResourceProvider


@contextmanager
def forgetting_if_unsure(account: Account, kind: str) -> Iterator[None]:
    """A write whose outcome is unknown (no answer, or a 5xx) makes the account context forget
    what it knows of this kind; a 4xx refused it, so nothing changed."""
    try:
        yield
    except ApiError as error:
        if error.status >= 500 or error.after_unanswered:
            account.unsure(kind)
        raise
    except Exception:
        account.unsure(kind)
        raise


def written(
    account: Account, kind: str, backend: Backend, action: Callable[[Backend], Remote]
) -> Remote:
    """Run one create or update and write its answer through to the account context."""
    with forgetting_if_unsure(account, kind):
        remote = action(backend)
    account.wrote(kind, remote)
    return remote


def create(
    provider: ApiResourceProvider,
    account: Account,
    backend: Backend,
    props: Mapping[str, Any],
    target: Target,
) -> tuple[Remote, str]:
    """A new object: its intent journalled first, then the POST (retried only after a lookup
    finds nothing, see `recovery`); the object and the intent, for the record step."""
    intent = provider.journal(account, props).begin(provider.kind, target.identity)
    api = provider.settings.api
    remote = written(
        account, provider.kind, backend, lambda b: recovery.create(api, b, target.fields)
    )
    return remote, intent


def align(
    provider: ApiResourceProvider,
    account: Account,
    backend: Backend,
    existing: Remote,
    target: Target,
) -> Remote:
    """An object taken over: only the declared fields that differ, and that the API changes in
    place, are sent; none differing, nothing is sent."""
    changes = adoption.differences(existing, target.fields, target.editable)
    if not changes:
        return existing
    return written(account, provider.kind, backend, lambda b: b.update(existing.id, changes))


def update(
    provider: ApiResourceProvider, account: Account, id_: str, changes: Mapping[str, Any]
) -> Remote:
    """Send only the changed fields."""
    backend = provider.make_backend(account)
    return written(account, provider.kind, backend, lambda b: b.update(id_, changes))


def delete(
    provider: ApiResourceProvider,
    account: Account,
    backend: Backend,
    props: Mapping[str, Any],
    id_: str,
) -> None:
    """Delete the object; a refusal from the API is never success (`DeleteRefused`)."""
    name = str(props.get("name"))
    with forgetting_if_unsure(account, provider.kind):
        delete_or_refuse(backend, provider.settings.api, name, id_, provider.noun)
