"""The adapter contract: the core names an adapter folder uses, and the protocols it implements.

`api` is the API side (wire dialect, backends, records, containers, registration); `resource`
the resource side (the provider class an adapter declares and the hooks it may override). Each
part's `__all__` is its share of the contract; see `docs/adapter-contract.md`. Names are looked
up in the parts on use (not star-imported), so the registry is imported only by what registers.
"""

from typing import TYPE_CHECKING, Any

from . import api, resource

if TYPE_CHECKING:
    from .api import *  # noqa: F403
    from .resource import *  # noqa: F403


def __getattr__(name: str) -> Any:
    """A contract name, from the part that declares it."""
    for part in (api, resource):
        if name in part.__all__:
            return getattr(part, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
