"""HubSpot pipelines of every object type that has them, and their stages, as Pulumi resources.

Names are imported from their modules on first use (`core.lazy_exports`).
"""

from typing import TYPE_CHECKING

from pulumi_stages.core.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from .object_stages import Stage, StageOrder
    from .stage import DealStage, DealStageOrder, Pipeline, TicketStage, TicketStageOrder

__getattr__ = lazy_exports(
    __name__,
    {
        "Stage": ".object_stages",
        "StageOrder": ".object_stages",
        "DealStage": ".stage",
        "DealStageOrder": ".stage",
        "Pipeline": ".stage",
        "TicketStage": ".stage",
        "TicketStageOrder": ".stage",
    },
)

__all__ = [
    "DealStage",
    "DealStageOrder",
    "Pipeline",
    "Stage",
    "StageOrder",
    "TicketStage",
    "TicketStageOrder",
]
