"""The adapter contract: the core names an adapter folder uses, and the protocols it implements.

`api` is the API side (wire dialect, backends, records, containers, registration); `resource`
the resource side (the provider class an adapter declares and the hooks it may override). Each
part's `__all__` is its share of the contract; see `docs/adapter-contract.md`.
"""

from .api import *  # noqa: F403
from .resource import *  # noqa: F403
