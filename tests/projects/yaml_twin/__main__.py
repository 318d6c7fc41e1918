"""examples/yaml declared through the Python door: the same stage set and single stage."""

import pulumi

from pulumi_stages.outreach import Stage
from pulumi_stages.stageset import StageSet

sales = StageSet.from_file("sales", "stages.yaml")
lost = Stage("lost", name="Closed Lost", color="#9e9e9e")
pulumi.export("salesStageIds", {k: s.id for k, s in sales.outreach_stages.items()})
pulumi.export("lostStageId", lost.stage_id)
