"""Capsule CRM as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from ..core.registry import Adapter
from .export import export_section
from .section import CapsuleSection
from .stage import SETTINGS, CapsuleStageProvider

ADAPTER = Adapter(
    name="capsule",
    settings=SETTINGS,
    dialect=CapsuleStageProvider.dialect,
    section=CapsuleSection,
    export=export_section,
)
