from pulumi_stages.capsule import Stage, StageOrder

brief = Stage("brief", name="Brief", board="Delivery", ordered_by_set=True)
build = Stage("build", name="Build", board="Delivery", ordered_by_set=True)
StageOrder("order", sequence=["Brief", "Build"], stages={"Brief": brief.id, "Build": build.id})
