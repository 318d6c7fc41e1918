import pulumi

from pulumi_stages.hubspot import Pipeline, TicketStage

support = Pipeline(
    "support",
    name="Support",
    object_type="tickets",
    seed=[{"name": "New", "display_order": 0, "ticket_state": "OPEN"}],
)
TicketStage(
    "new",
    name="New",
    pipeline="Support",
    pipeline_id=support.pipeline_id,
    ticket_state="OPEN",
    display_order=0,
    opts=pulumi.ResourceOptions(deleted_with=support),
)
