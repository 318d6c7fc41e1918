import pulumi

from pulumi_stages.hubspot import DealStage, Pipeline

sales = Pipeline(
    "sales",
    name="Sales",
    object_type="deals",
    seed=[{"name": "Discovery", "display_order": 0, "probability": 0.1}],
)
DealStage(
    "discovery",
    name="Discovery",
    pipeline="Sales",
    pipeline_id=sales.pipeline_id,
    probability=0.1,
    display_order=0,
    opts=pulumi.ResourceOptions(deleted_with=sales),  # goes with its pipeline
)
