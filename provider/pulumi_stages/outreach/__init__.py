"""Outreach API v2 stages as Pulumi resources."""

from .stage import Stage, StageOrder

__all__ = ["Stage", "StageOrder"]
