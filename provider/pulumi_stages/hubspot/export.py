"""`pulumi-stages export hubspot`: deal and ticket pipelines and their stages as the `hubspot:`
section, in display order, to adopt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.http import ApiClient
from .api import KINDS

DEFAULT_PIPELINE = "default"
"""[doc] Every portal starts with a deal pipeline whose id is `default`; its label is the
portal's (and language's), so an exported file names it by id too."""


def _order(item: dict[str, Any]) -> tuple[int, str, str]:
    return (int(item.get("displayOrder") or 0), str(item.get("label", "")), str(item.get("id")))


def export_section(client: ApiClient, progress: Callable[[int], None]) -> dict[str, Any]:
    """One GET per object type: every pipeline comes with its stages."""
    section: dict[str, Any] = {"adopt": True}
    count = 0
    for object_type, kind in KINDS.items():
        pipelines = client.request("GET", kind.pipelines).json().get("results") or []
        entries: list[dict[str, Any]] = []
        for pipeline in sorted(pipelines, key=_order):
            if pipeline.get("archived"):
                continue
            stages: list[dict[str, Any]] = []
            for stage in sorted(pipeline.get("stages") or [], key=_order):
                if stage.get("archived"):
                    continue
                metadata = stage.get("metadata") or {}
                entry: dict[str, Any] = {"name": stage["label"]}
                if object_type == "deals":
                    entry["probability"] = float(metadata.get("probability") or 0.0)
                elif metadata.get("ticketState") == "CLOSED":
                    entry["ticket_state"] = "CLOSED"
                stages.append(entry)
                count += 1
                progress(count)
            entry_of: dict[str, Any] = {"name": pipeline["label"]}
            if pipeline.get("id") == DEFAULT_PIPELINE:  # the same in every portal's language
                entry_of["id"] = DEFAULT_PIPELINE
            entries.append({**entry_of, "stages": stages})
        section[object_type] = entries
    return section
