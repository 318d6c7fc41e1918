"""What a user declares of a HubSpot pipeline or stage (the wire shapes are in `wire`)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..core.models import AdoptableInputs, Name, ObjectId, Position


def _probability(value: Any) -> float | None:
    """[doc] a deal stage's likelihood to close, 0.0 to 1.0; Pulumi sends numbers as floats."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise PydanticCustomError(
            "probability_type",
            "must be a number from 0.0 to 1.0, got {value}",
            {"value": repr(value)},
        )
    if not 0.0 <= value <= 1.0:
        raise PydanticCustomError(
            "probability_range", "must be from 0.0 to 1.0, got {value}", {"value": value}
        )
    return float(value)


def _ticket_state(value: Any) -> str | None:
    if value is None:
        return None
    if value not in ("OPEN", "CLOSED"):
        raise PydanticCustomError(
            "ticket_state", "must be OPEN or CLOSED, got {value}", {"value": repr(value)}
        )
    return str(value)


Probability = Annotated[
    float | None,
    BeforeValidator(_probability),
    WithJsonSchema({"type": ["number", "null"], "minimum": 0, "maximum": 1}),
]
"""A deal stage's probability, 0.0 to 1.0, or None to leave it to the API."""

TicketState = Annotated[
    str | None,
    BeforeValidator(_ticket_state),
    WithJsonSchema({"type": ["string", "null"], "enum": ["OPEN", "CLOSED", None]}),
]
"""A ticket stage's state, OPEN or CLOSED, or None to leave it to the API (OPEN on create)."""


class StageInputs(AdoptableInputs):
    """A declared stage: its label, its pipeline (a label resolved per account, or the id a set's
    Pipeline gives), and its position."""

    name: Name
    """The stage's label, unique in its pipeline."""
    pipeline: Name
    """The label of the stage's pipeline (resolved in each account)."""
    pipeline_id: ObjectId = None
    """The pipeline's id, when a Pipeline resource gives it (moving pipelines is a replace)."""
    display_order: Position = None
    """The stage's position in its pipeline (0 or more); unset leaves it to HubSpot."""


class DealStageInputs(StageInputs):
    """A deal stage; HubSpot requires a probability to create one."""

    probability: Probability = None
    """The likelihood a deal in this stage closes, 0.0 to 1.0 (HubSpot requires it)."""


class TicketStageInputs(StageInputs):
    """A ticket stage."""

    ticket_state: TicketState = None
    """OPEN or CLOSED; unset opens the stage as OPEN."""


class ObjectStageInputs(StageInputs):
    """A stage of another object type's pipeline (leads, orders, a custom object...): a label
    and a position only ([doc] stage metadata is optional for every type but deals)."""

    object_type: str | None = None


class PipelineInputs(AdoptableInputs):
    """A declared pipeline; `seed` lists the stages it is created with (used at create only)."""

    name: Name
    """The pipeline's label, unique among its object type's pipelines."""
    display_order: Position = None
    """The pipeline's position (0 or more); unset leaves it to HubSpot."""
    seed: list[dict[str, Any]] | None = None
    """The stages a new pipeline is created with (name, display_order, probability or
    ticket_state), in the same request; used at create only."""


def _required_probability(value: Any) -> float:
    found = _probability(value)
    if found is None:
        raise PydanticCustomError(
            "probability_missing", "deal stages need a probability from 0.0 to 1.0"
        )
    return found


DealProbability = Annotated[
    float,
    BeforeValidator(_required_probability),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
]
"""A deal stage's probability in a stage set: required, as HubSpot requires it."""
