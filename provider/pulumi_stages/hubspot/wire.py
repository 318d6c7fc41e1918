"""HubSpot pipelines and stages on the wire: the metadata a stage sends, and the answers read
back as Pulumi state (no pydantic: a refresh loads none)."""

from __future__ import annotations

from typing import Any


def metadata_of(object_type: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """A stage's `metadata` on the wire from its inputs; None when nothing in it is declared."""
    if object_type == "deals":
        probability = inputs.get("probability")
        return None if probability is None else {"probability": str(float(probability))}
    if object_type != "tickets":
        return None  # [doc] no metadata field is documented for the other types
    state = inputs.get("ticket_state")
    return None if state is None else {"ticketState": state}


def new_stage_metadata(object_type: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A new stage's `metadata`, always sent: [doc] PipelineStageInput requires it on create (a
    ticket stage declared without a state opens as OPEN, as HubSpot's own default stages do;
    other types' stages send `{}`, as [seen] the Terraform provider's do)."""
    found = metadata_of(object_type, inputs)
    if found is not None:
        return found
    return {"ticketState": "OPEN"} if object_type == "tickets" else {}


def stage_outputs(
    object_type: str, stage: dict[str, Any], pipeline_id: str, pipeline: str
) -> dict[str, Any]:
    """A stage as Pulumi state, from `{"id", "label", "displayOrder", "metadata", ...}`."""
    metadata = stage.get("metadata") or {}
    outs: dict[str, Any] = {
        "name": stage.get("label", ""),
        "pipeline": pipeline,
        "pipeline_id": str(pipeline_id),
        "display_order": stage.get("displayOrder"),
        "stage_id": str(stage["id"]),
        "created_at": stage.get("createdAt"),
        "updated_at": stage.get("updatedAt"),
    }
    if object_type == "deals":
        raw = metadata.get("probability")
        outs["probability"] = None if raw in (None, "") else float(raw)
    elif object_type == "tickets":
        outs["ticket_state"] = metadata.get("ticketState")
    else:
        outs["object_type"] = object_type
    return outs


def pipeline_outputs(object_type: str, pipeline: dict[str, Any]) -> dict[str, Any]:
    """A pipeline as Pulumi state."""
    return {
        "name": pipeline.get("label", ""),
        "object_type": object_type,
        "display_order": pipeline.get("displayOrder"),
        "pipeline_id": str(pipeline["id"]),
        "created_at": pipeline.get("createdAt"),
        "updated_at": pipeline.get("updatedAt"),
    }
