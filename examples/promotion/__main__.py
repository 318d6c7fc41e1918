"""The same stage set in every environment; the stack's config says which accounts it manages."""

import pulumi

from pulumi_stages.stageset import StageSet

pipeline = StageSet.from_file("pipeline", "stages.yaml")
pulumi.export("outreach_stages", {k: s.id for k, s in pipeline.outreach_stages.items()})
pulumi.export("capsule_boards", {name: b.id for name, b in pipeline.capsule_boards.items()})
