"""Outreach API v2 stages as Pulumi resources."""

from .stage import Stage

__all__ = ["Stage"]
