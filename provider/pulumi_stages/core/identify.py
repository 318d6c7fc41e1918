"""Identify: the step that says what a create is for: a new object, or an existing one it takes
over. That one is declared (`adopt` by identity, `adopt_id` by id), left by a dead `up` of this
stack (`recovers`, set by check from the create journal), or made with its container in this
run (handed over, e.g. a stage its pipeline's POST created). A replacement is always new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .account import Account
from .duplicates import RECOVERS_KEY, REPLACING_KEY

if TYPE_CHECKING:
    from .resource import ApiResourceProvider


@dataclass(frozen=True)
class Target:
    """What a create aims at, and what it would send."""

    identity: dict[str, Any]
    """The identity fields that are set (a name, and its container)."""
    fields: dict[str, Any]
    """The declared API fields."""
    editable: tuple[str, ...]
    """The fields an object taken over may have changed in place."""
    adopt: bool = False
    """Take over the object with this identity, if the account has one."""
    adopt_id: str | None = None
    """Take over exactly this object."""
    recovering: bool = False
    """`adopt_id` is an object a dead `up` of this stack made: its journal intent is claimed."""

    @property
    def takes_over(self) -> bool:
        """Whether the create may take over an existing object instead of making one."""
        return self.adopt or self.adopt_id is not None


def identify(
    provider: ApiResourceProvider,
    account: Account,
    props: Mapping[str, Any],
    inputs: Mapping[str, Any],
) -> Target:
    """The create's target, from its validated inputs and the keys its check set."""
    identity = provider.identity_of(inputs)
    target = Target(identity, provider.api_values(inputs), provider.editable_fields(inputs))
    if props.get(REPLACING_KEY):  # a replacement: a new object, never the one it replaces
        return target
    if props.get(RECOVERS_KEY):
        return _with(target, adopt_id=str(props[RECOVERS_KEY]), recovering=True)
    adopt_id = inputs.get("adopt_id")
    if adopt_id is None:
        adopt_id = account.handed_over(provider.kind, identity)
    return _with(
        target,
        adopt=bool(inputs.get("adopt")),
        adopt_id=None if adopt_id is None else str(adopt_id),
    )


def _with(target: Target, **changes: Any) -> Target:
    return Target(**{**target.__dict__, **changes})
