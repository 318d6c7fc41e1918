"""One Outreach stage declared through the generated SDK: the provider package serves it."""

import pulumi
import pulumi_crmstages as crmstages

qualified = crmstages.outreach.Stage("qualified", name="Qualified", color="#2e7d32")
pulumi.export("stageId", qualified.stage_id)
