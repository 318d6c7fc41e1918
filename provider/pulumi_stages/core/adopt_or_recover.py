"""Adopt or recover: the step that finds the existing object a create takes over (see
`identify`), claims the journal intent of one a dead `up` made, and marks it taken in this run
so the delete of a resource that held it before leaves it alone. None: a new object is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .account import Account
from .adoption import adoptee
from .backend import Backend, Remote
from .errors import AdoptionError
from .run import THIS_RUN

if TYPE_CHECKING:
    from .identify import Target
    from .resource import ApiResourceProvider


def take_over(
    provider: ApiResourceProvider,
    account: Account,
    backend: Backend,
    props: Mapping[str, Any],
    target: Target,
) -> Remote | None:
    """The existing object the create takes over, or None."""
    if not target.takes_over:
        return None
    listed = provider.listed(account, backend, provider.adoption_view)
    wanted = {"adopt": target.adopt, "adopt_id": target.adopt_id}
    existing = adoptee(provider.settings.api, backend, listed, wanted, target.identity)
    if existing is None:
        return None
    if target.recovering:  # the listing's copy: it has the creation time the check judged by
        _claim(
            provider,
            account,
            props,
            target,
            next((r for r in listed if r.id == existing.id), existing),
        )
    THIS_RUN.took(provider.kind, existing.id)
    return existing


def _claim(
    provider: ApiResourceProvider,
    account: Account,
    props: Mapping[str, Any],
    target: Target,
    found: Remote,
) -> None:
    """Close the journal's unanswered intent that `found` answers (one claim per intent:
    another run that claimed it first makes this create stop, naming the object)."""
    if not provider.journal(account, props).claim(provider.kind, target.identity, found):
        raise AdoptionError(
            f"{provider.settings.api} {provider.kind} {found.id} ({target.identity}) was taken "
            "over by another run of this stack after this one checked it; run `pulumi refresh`, "
            "then `pulumi up` again. Nothing was changed."
        )
