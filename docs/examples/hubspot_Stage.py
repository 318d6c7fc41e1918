import pulumi

from pulumi_stages.hubspot import Pipeline, Stage

leads = Pipeline(
    "inbound",
    name="Inbound leads",
    object_type="leads",
    seed=[{"name": "New", "display_order": 0}],
)
Stage(
    "new",
    name="New",
    pipeline="Inbound leads",
    object_type="leads",
    pipeline_id=leads.pipeline_id,
    display_order=0,
    opts=pulumi.ResourceOptions(deleted_with=leads),
)
Stage("intake", name="Intake", pipeline="Onboarding", object_type="2-12345")
