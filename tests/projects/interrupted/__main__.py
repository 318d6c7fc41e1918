"""Ten stages; `INTERRUPTED_ADOPT=true` declares them with adopt=True, otherwise without."""

import os

from pulumi_stages.outreach import Stage

adopt = os.environ.get("INTERRUPTED_ADOPT") == "true"
for i in range(10):
    Stage(f"stage-{i}", name=f"Stage {i}", color="#5951ff", order=i * 10, adopt=adopt or None)
