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


SCHEMAS = "/crm-object-schemas/2026-03/schemas"
"""[doc] The custom object schemas of the account (Schemas API, date version 2026-03)."""


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


def custom_types(client: ApiClient) -> list[str]:
    """[doc] The account's custom object type ids, from its schemas (`objectTypeId`); none when
    the token may not read them (guess: a portal below Enterprise answers 403 or an empty
    list)."""
    try:
        found = client.request("GET", SCHEMAS).json().get("results") or []
    except Forbidden:
        return []
    return sorted(str(s["objectTypeId"]) for s in found if s.get("objectTypeId"))


def export_section(client: ApiClient, progress: Callable[[int], None]) -> dict[str, Any]:
    """One GET per object type: every pipeline comes with its stages. Deals and tickets are
    always listed; another type, or a custom object (found in the account's schemas), only
    when the account has it and pipelines of it."""
    section: dict[str, Any] = {"adopt": True}
    counted = [0]

    def entries(object_type: str) -> list[dict[str, Any]] | None:
        pipelines = _pipelines(client, kind_of(object_type))
        if pipelines is None or (not pipelines and object_type not in ("deals", "tickets")):
            return None
        return [_pipeline(object_type, p, counted, progress) for p in _live(pipelines)]

    for object_type in ("deals", "tickets", *OTHER_TYPES):
        found = entries(object_type)
        if found is not None:
            section[object_type] = found
    custom = {t: found for t in custom_types(client) if (found := entries(t)) is not None}
    if custom:
        section["custom_objects"] = custom
    return section


def _live(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in sorted(items, key=_order) if not i.get("archived")]


def _pipeline(
    object_type: str,
    pipeline: dict[str, Any],
    counted: list[int],
    progress: Callable[[int], None],
) -> dict[str, Any]:
    """A pipeline as stages.yaml declares it, its live stages in display order."""
    stages: list[dict[str, Any]] = []
    for stage in _live(pipeline.get("stages") or []):
        stages.append(_stage(object_type, stage))
        counted[0] += 1
        progress(counted[0])
    entry: dict[str, Any] = {"name": pipeline["label"]}
    if pipeline.get("id") in SEEDED_PIPELINES:  # the same in every portal's language
        entry["id"] = pipeline["id"]
    return {**entry, "stages": stages}
