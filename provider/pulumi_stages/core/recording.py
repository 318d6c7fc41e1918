"""Record: the step that keeps what a write did: the create journal's answer to the create's
intent (or the delete), the account context, and the outputs the state keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CreateResult

from .account import Account
from .backend import Remote
from .errors import StagesError

if TYPE_CHECKING:
    from .identify import Target
    from .resource import ApiResourceProvider

LOG = logging.getLogger(__name__)


def created(
    provider: ApiResourceProvider,
    account: Account,
    *,
    props: Mapping[str, Any],
    inputs: Mapping[str, Any],
    target: Target,
    remote: Remote,
    intent: str | None,
) -> CreateResult:
    """The create's state; a new object's id answers its journal intent."""
    if intent is not None:
        try:
            journal = provider.journal(account, props)
            journal.created(provider.kind, target.identity, intent, remote.id)
        except StagesError as lost:  # the object exists: state must hold it all the same
            LOG.warning("the create journal could not record %s: %s", remote.id, lost)
    return CreateResult(remote.id, provider.outputs_for(remote, inputs))


def deleted(
    provider: ApiResourceProvider, account: Account, props: Mapping[str, Any], id_: str
) -> None:
    """The object is gone: never this stack's again, and no longer listed."""
    provider.journal(account, props).deleted(provider.kind, id_)
    account.deleted(provider.kind, id_)
