from pulumi_stages.hubspot import Stage, StageOrder

new = Stage("new", name="New", pipeline="Inbound", object_type="leads", ordered_by_set=True)
won = Stage("won", name="Won", pipeline="Inbound", object_type="leads", ordered_by_set=True)
StageOrder.for_type("leads")(
    "inbound-order", sequence=["New", "Won"], stages={"New": new.id, "Won": won.id}
)
