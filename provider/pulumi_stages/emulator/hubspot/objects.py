"""The CRM object types that have pipelines, as a portal knows them: the path word and type id
each is named by, the record properties holding its stage and pipeline, the delete flag that
validates its references, and how many stages one of its pipelines may hold. No HTTP.

Sources: [doc] the Pipelines guide ("Pipelines are available for ... Deals, Tickets,
Appointments, Courses, Listings, Orders, Services, Leads (Sales Hub Professional and Enterprise
only), Custom objects (Enterprise only)"; "Appointment, course, listing, lead, order, and service
pipelines can have up to 30 stages. Deal, ticket, and custom object pipelines can have up to 100
stages"; the 2026-09 note: `validateDealStageUsagesBeforeDelete` for deal pipelines,
`validateReferencesBeforeDelete` for all other object pipelines); [doc] "Using object APIs": the
object type ids (appointments 0-421, courses 0-410, deals 0-3, leads 0-136, listings 0-420,
orders 0-123, services 0-162, tickets 0-5, custom objects 2-XXX), and "new objects
(appointments, courses, listings, services) must be activated in the HubSpot account before you
can manage their records via API"; [seen] jbunting/terraform-provider-hubspot's pipeline
resource takes `deals`, `tickets` or a custom object type id (`2-12345`) as its object type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEAL_VALIDATE = "validateDealStageUsagesBeforeDelete"
OTHER_VALIDATE = "validateReferencesBeforeDelete"
CUSTOM_TYPE_ID = re.compile(r"^2-\d+$")
"""[doc] a custom object's type id: `2-` and a number."""


@dataclass(frozen=True)
class ObjectType:
    """One object type with pipelines, as the emulator serves it."""

    name: str
    """The word its paths use (`leads`), or its type id for a custom object (`2-12345`)."""
    type_id: str
    stage_property: str
    pipeline_property: str
    max_stages: int
    name_property: str | None = None
    """A property that names a record of the type (the admin route fills it)."""

    @property
    def validate_param(self) -> str:
        """[doc] the delete flag that validates references for this type's pipelines."""
        return DEAL_VALIDATE if self.name == "deals" else OTHER_VALIDATE


def _other(name: str, type_id: str, name_property: str | None = None) -> ObjectType:
    """An object type whose records hold their stage in `hs_pipeline_stage` and pipeline in
    `hs_pipeline`, with at most 30 stages a pipeline ([doc] pipelines guide). guess: these
    types use the same two properties as tickets (seen for leads in public clients' code; a
    real portal's property list, `GET /crm/v3/properties/{type}`, would settle the others)."""
    return ObjectType(name, type_id, "hs_pipeline_stage", "hs_pipeline", 30, name_property)


STANDARD = {
    t.name: t
    for t in (
        ObjectType("deals", "0-3", "dealstage", "pipeline", 100, "dealname"),
        ObjectType("tickets", "0-5", "hs_pipeline_stage", "hs_pipeline", 100, "subject"),
        _other("leads", "0-136", "hs_lead_name"),  # [doc] leads guide: hs_lead_name
        _other("orders", "0-123"),
        _other("services", "0-162"),
        _other("appointments", "0-421"),
        _other("courses", "0-410"),
        _other("listings", "0-420"),
    )
}
"""Every standard object type with pipelines, by the word its paths use."""

ALWAYS = frozenset({"deals", "tickets"})
"""The types every portal has ([doc] every account starts with a deal pipeline; tickets come
with every hub's free tier)."""


def custom(type_id: str) -> ObjectType:
    """A custom object type by its id ([doc] up to 100 stages a pipeline). guess: its records
    hold their stage in `hs_pipeline_stage` and pipeline in `hs_pipeline`, as public clients
    read them."""
    return ObjectType(type_id, type_id, "hs_pipeline_stage", "hs_pipeline", 100)


def by_path(raw: str, enabled: frozenset[str], customs: tuple[str, ...]) -> ObjectType | None:
    """The object type a path names, by word or type id, when the portal has it; None when it
    does not (an unknown word, a type the portal has not activated, a custom id it lacks)."""
    for kind in STANDARD.values():
        if raw in (kind.name, kind.type_id) and kind.name in enabled | ALWAYS:
            return kind
    if CUSTOM_TYPE_ID.match(raw) and raw in customs:
        return custom(raw)
    return None
