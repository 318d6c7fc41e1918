"""Outreach API v2 stages as Pulumi resources.

Names are imported from their modules on first use (`core.lazy_exports`).
"""

from typing import TYPE_CHECKING

from pulumi_stages.core.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from .stage import Stage, StageOrder

__getattr__ = lazy_exports(
    __name__,
    {
        "Stage": ".stage",
        "StageOrder": ".stage",
    },
)

__all__ = [
    "Stage",
    "StageOrder",
]
