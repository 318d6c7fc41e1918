"""Capsule boards and stages from stages.yaml; boards are found or created by name."""

import pulumi

from pulumi_stages.stageset import StageSet

projects = StageSet.from_file("projects", "stages.yaml")
pulumi.export("boards", {name: board.id for name, board in projects.capsule_boards.items()})
