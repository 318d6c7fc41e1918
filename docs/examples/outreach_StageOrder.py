from pulumi_stages.outreach import Stage, StageOrder

lead = Stage("lead", name="Lead", ordered_by_set=True)
won = Stage("won", name="Won", ordered_by_set=True)
StageOrder("order", sequence=["Lead", "Won"], stages={"Lead": lead.id, "Won": won.id})
