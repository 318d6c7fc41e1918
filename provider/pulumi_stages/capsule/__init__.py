"""Capsule CRM API v2 stages and boards as Pulumi resources."""

from .stage import Board, Stage, StageOrder

__all__ = ["Board", "Stage", "StageOrder"]
