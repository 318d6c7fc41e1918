"""HubSpot deal and ticket pipelines and their stages as Pulumi resources."""

from .stage import DealStage, DealStageOrder, Pipeline, TicketStage, TicketStageOrder

__all__ = ["DealStage", "DealStageOrder", "Pipeline", "TicketStage", "TicketStageOrder"]
