"""The adapter contract: the core names an adapter folder uses, and the protocols it implements.

`resource` is the resource side (the provider class an adapter declares and the hooks it may
override); the API side sits beside it as `api`. Each part's `__all__` is its share.
"""

from .resource import *  # noqa: F403
