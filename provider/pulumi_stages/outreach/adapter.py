"""Outreach as a pulumi-stages adapter: found by the registry, nothing outside this folder."""

from __future__ import annotations

from ..core.registry import Adapter
from .export import export_section
from .section import OutreachSection
from .stage import SETTINGS, OutreachStageProvider

ADAPTER = Adapter(
    name="outreach",
    settings=SETTINGS,
    dialect=OutreachStageProvider.dialect,
    section=OutreachSection,
    export=export_section,
)
