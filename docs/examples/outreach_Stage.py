from pulumi_stages.outreach import Stage

Stage("qualified", name="Qualified Lead", color="#5951ff", order=20)
Stage("won", name="Closed Won", adopt_id=42)  # take over this existing stage
