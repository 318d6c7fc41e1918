"""An Outreach pipeline declared in Python: list position is display order."""

import pulumi

from pulumi_stages.stageset import StageSet

STAGES = [
    {"name": "New", "color": "#9e9e9e"},
    {"name": "Contacted", "color": "#00a3e0"},
    {"name": "Meeting Booked", "color": "#5951ff"},
    # `key` keeps a stage's identity through a rename: this was "Opportunity" before.
    {"name": "Open Opportunity", "key": "Opportunity", "color": "#f5a623"},
    {"name": "Customer", "color": "#2ecc71"},
]

sales = StageSet("sales", {"outreach": {"stages": STAGES}})
pulumi.export("stage_ids", {key: stage.id for key, stage in sales.outreach_stages.items()})
