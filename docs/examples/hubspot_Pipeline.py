from pulumi_stages.hubspot import Pipeline

Pipeline(
    "new-business",
    name="New Business",
    object_type="deals",
    seed=[{"name": "Discovery", "display_order": 0, "probability": 0.1}],
)
