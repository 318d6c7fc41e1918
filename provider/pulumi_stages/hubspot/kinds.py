"""The object types whose pipelines are managed, beside deals and tickets: what each is called,
the record properties holding its stage and pipeline, and its delete flag.

Sources: [doc] the Pipelines guide ("Pipelines are available for ... Deals, Tickets,
Appointments, Courses, Listings, Orders, Services, Leads, Custom objects"; the 2026-09 note:
`validateReferencesBeforeDelete` for every object pipeline but deals'; stage `metadata` is
"optional for all objects except deals"; "Appointment, course, listing, lead, order, and
service pipelines can have up to 30 stages. Deal, ticket, and custom object pipelines can have up
to 100 stages"); [doc] "Using object APIs": a custom object's type id is `2-` and a number;
[seen] jbunting/terraform-provider-hubspot's pipeline resource takes a custom object's type id as
its object type; [seen] public clients read a lead's stage from `hs_pipeline_stage`.
"""

from __future__ import annotations

import re

from .api import DEALS, TICKETS, ObjectKind

OTHER_TYPES = ("leads", "orders", "services", "appointments", "courses", "listings")
"""The standard object types with pipelines besides deals and tickets, as paths name them."""

CUSTOM_TYPE_ID = re.compile(r"^2-[0-9]+$")
"""[doc] a custom object's type id (`2-12345`)."""

MOST_STAGES = {**dict.fromkeys(OTHER_TYPES, 30), "deals": 100, "tickets": 100}
"""[doc] the most stages one pipeline of the type may hold (custom objects: 100)."""

OTHER_RECORD_STAGE = "hs_pipeline_stage"
"""guess: every type but deals holds a record's stage here and its pipeline in `hs_pipeline`
([doc] for tickets, [seen] for leads in public clients' code; a portal's property list
`GET /crm/v3/properties/{type}` would settle the others)."""


def kind_of(object_type: str) -> ObjectKind:
    """The object type named by its path word or, for a custom object, its type id."""
    if object_type == "deals":
        return DEALS
    if object_type == "tickets":
        return TICKETS
    if object_type in OTHER_TYPES:
        noun = object_type.removesuffix("s")
    elif CUSTOM_TYPE_ID.match(object_type):
        noun = "record"
    else:
        raise ValueError(
            "object_type must be deals, tickets, " + ", ".join(OTHER_TYPES) + " or a custom "
            f"object's type id (2-12345), got {object_type!r}"
        )
    validate = "validateReferencesBeforeDelete"  # [doc] every type but deals
    return ObjectKind(object_type, noun, OTHER_RECORD_STAGE, validate, "hs_pipeline")


def most_stages(object_type: str) -> int:
    """How many stages one of its pipelines may hold."""
    return MOST_STAGES.get(object_type, 100)


def stage_word(kind: ObjectKind) -> str:
    """What its stages are called (the stage provider's kind): HubSpot's own one-word property
    for deals and tickets, else "lead stage", or "2-12345 stage" for a custom object."""
    if kind.object_type in ("deals", "tickets"):
        return f"{kind.noun}stage"
    return f"{kind.word} stage"


def pipeline_word(kind: ObjectKind) -> str:
    """What its pipelines are called: "lead pipeline", "2-12345 pipeline"."""
    return f"{kind.word} pipeline"


def slug(object_type: str) -> str:
    """The object type as part of a Python name (`2-12345` -> `2_12345`)."""
    return object_type.replace("-", "_")


def unslug(part: str) -> str:
    """The object type a name part stands for."""
    return part.replace("_", "-")
