"""The demo stage set: the Outreach pipeline declared in stages.yaml."""

import pulumi

from pulumi_stages.stageset import StageSet

pipeline = StageSet.from_file("pipeline", "stages.yaml")
pulumi.export("stage_ids", {key: stage.id for key, stage in pipeline.outreach_stages.items()})
