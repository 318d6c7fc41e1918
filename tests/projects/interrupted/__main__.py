"""Ten stages, each with adopt=True so a re-run after a crash takes over what it already made."""

from pulumi_stages.outreach import Stage

for i in range(10):
    Stage(f"stage-{i}", name=f"Stage {i}", color="#5951ff", order=i * 10, adopt=True)
