"""HubSpot pipelines of every object type that has them, and their stages, as Pulumi resources."""

from .object_stages import Stage, StageOrder
from .stage import DealStage, DealStageOrder, Pipeline, TicketStage, TicketStageOrder

__all__ = [
    "DealStage",
    "DealStageOrder",
    "Pipeline",
    "Stage",
    "StageOrder",
    "TicketStage",
    "TicketStageOrder",
]
