"""The demo stage set: a sales pipeline of Outreach stages, in display order."""

import pulumi

from pulumi_stages.outreach import Stage

PIPELINE = [
    ("Prospecting", "#9e9e9e"),
    ("Qualified Lead", "#5951ff"),
    ("Discovery Call", "#00a3e0"),
    ("Proposal Sent", "#f5a623"),
    ("Negotiation", "#e94e77"),
    ("Closed Won", "#2ecc71"),
]

for position, (name, color) in enumerate(PIPELINE, start=1):
    key = name.lower().replace(" ", "-")
    stage = Stage(key, name=name, color=color, order=position * 10)
    pulumi.export(key, stage.stage_id)
