"""Containers found by name, once per account: a stage names its board or pipeline, and each
account resolves that name to its own id, so one stage set promotes from dev to production.

The lookup is a directory entry of the account context: asked once per process, and retired by
any write of that kind of container (a create, a rename, an archive) through this process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .account import Account
from .backend import Remote
from .errors import ContainerNotFound


@dataclass(frozen=True)
class ContainerKind:
    """One kind of container as messages and the account context name it: its `kind` in the
    account context (whose writes retire the lookup), the API's name, how a lookup describes
    it ("active board named", "deal pipeline labelled") and the resource that declares one."""

    kind: str
    api: str
    described: str
    declared_by: str


@runtime_checkable
class ListsContainers(Protocol):
    """The containers stages live in (Capsule boards, a HubSpot object type's pipelines), as the
    lookup by name reads them."""

    @property
    def container(self) -> ContainerKind:
        """What kind of container these are."""
        ...

    def live_named(self, name: str) -> Iterable[Remote]:
        """The live containers (not archived) the API gives for `name`, each with its `name` in
        `outs`; others may come along (a search by prefix), only exact names count."""
        ...


def container_id(account: Account, containers: ListsContainers, name: str) -> str:
    """The id of the one live container called `name` in this account; `ContainerNotFound`
    when there is none or more than one (the stage cannot be placed)."""
    of = containers.container

    def look_up() -> str:
        matches = [r for r in containers.live_named(name) if r.outs.get("name") == name]
        if len(matches) != 1:
            found = "no" if not matches else str(len(matches))
            raise ContainerNotFound(
                f"{of.api} has {found} {of.described} {name!r} in this account; "
                f"declare it with {of.declared_by} or fix the name"
            )
        return matches[0].id

    return account.remember(of.kind, name, look_up)
