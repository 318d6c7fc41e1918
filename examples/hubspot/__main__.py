"""HubSpot pipelines from stages.yaml; pipelines are found or created by label in each portal."""

import pulumi

from pulumi_stages.stageset import StageSet

crm = StageSet.from_file("crm", "stages.yaml")
pulumi.export(
    "pipelines",
    {f"{kind}/{name}": p.id for (kind, name), p in crm.hubspot_pipelines.items()},
)
