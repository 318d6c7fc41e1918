"""`pulumi-stages export hubspot`: the pipelines of every object type the account has, and their
stages, as the `hubspot:` section, in display order, to adopt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.errors import BadRequest, Forbidden
from ..core.http import ApiClient
from .api import ObjectKind
from .kinds import OTHER_TYPES, kind_of

DEFAULT_PIPELINE = "default"
"""[doc] Every portal starts with a deal pipeline whose id is `default`; its label is the
portal's (and language's), so an exported file names it by id too."""

SEEDED_PIPELINES = frozenset({DEFAULT_PIPELINE, "lead-pipeline-id"})
"""Pipelines whose id is the same in every portal, exported by id as well: the default deal
pipeline [doc] and the lead pipeline ([seen] `lead-pipeline-id` in public clients' code)."""


def _order(item: dict[str, Any]) -> tuple[int, str, str]:
    return (int(item.get("displayOrder") or 0), str(item.get("label", "")), str(item.get("id")))


def _pipelines(client: ApiClient, kind: ObjectKind) -> list[dict[str, Any]] | None:
    """The type's pipelines; None when the account lacks the type (HubSpot cannot name it, or
    the token may not read it): deals and tickets are in every account, so only other types
    are skipped."""
    try:
        found: list[dict[str, Any]] = client.request("GET", kind.pipelines).json().get("results")
    except (BadRequest, Forbidden):
        if kind.object_type in ("deals", "tickets"):
            raise
        return None
    return found or []


def _stage(object_type: str, stage: dict[str, Any]) -> dict[str, Any]:
    """A stage as stages.yaml declares it: its name and its type's own field."""
    metadata = stage.get("metadata") or {}
    entry: dict[str, Any] = {"name": stage["label"]}
    if object_type == "deals":
        entry["probability"] = float(metadata.get("probability") or 0.0)
    elif object_type == "tickets" and metadata.get("ticketState") == "CLOSED":
        entry["ticket_state"] = "CLOSED"
    return entry


def export_section(client: ApiClient, progress: Callable[[int], None]) -> dict[str, Any]:
    """One GET per object type: every pipeline comes with its stages. Deals and tickets are
    always listed; another type only when the account has it and pipelines of it."""
    section: dict[str, Any] = {"adopt": True}
    count = 0
    for object_type in ("deals", "tickets", *OTHER_TYPES):
        pipelines = _pipelines(client, kind_of(object_type))
        if pipelines is None or (not pipelines and object_type not in ("deals", "tickets")):
            continue
        entries: list[dict[str, Any]] = []
        for pipeline in sorted(pipelines, key=_order):
            if pipeline.get("archived"):
                continue
            stages: list[dict[str, Any]] = []
            for stage in sorted(pipeline.get("stages") or [], key=_order):
                if stage.get("archived"):
                    continue
                stages.append(_stage(object_type, stage))
                count += 1
                progress(count)
            entry_of: dict[str, Any] = {"name": pipeline["label"]}
            if pipeline.get("id") in SEEDED_PIPELINES:  # the same in every portal's language
                entry_of["id"] = pipeline["id"]
            entries.append({**entry_of, "stages": stages})
        section[object_type] = entries
    return section
