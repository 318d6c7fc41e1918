from pulumi_stages.hubspot import DealStage, DealStageOrder

first = DealStage("a", name="Discovery", pipeline="Sales", probability=0.1, ordered_by_set=True)
second = DealStage("b", name="Demo", pipeline="Sales", probability=0.4, ordered_by_set=True)
DealStageOrder(
    "sales-order",
    sequence=["Discovery", "Demo"],
    stages={"Discovery": first.id, "Demo": second.id},
)
