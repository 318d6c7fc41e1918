"""The `StageSet` component: one declaration (YAML or Python) becomes stages, boards and orders.

Each stage's resource is named by its key (its name unless `key` says otherwise), never by its
position, so moving a stage in the list changes only the set's ordering resource, which then
writes as few positions as it can.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi

from .. import capsule, outreach
from ..core.ordering import OrderResource
from .source import load_file, load_value
from .spec import (
    CapsuleBoardSpec,
    CapsuleSection,
    OutreachSection,
    StageSetSpec,
    StageSpec,
    resource_part,
)

HINT_STEP = 10
"""New stages are created at (position + 1) * 10, which is right on a fresh account; the
ordering resource corrects it where the account's existing positions differ. An adopted stage
keeps its position (a set's stage never diffs it)."""


def _hint(index: int) -> int:
    return (index + 1) * HINT_STEP


class StageSet(pulumi.ComponentResource):
    """An ordered set of Outreach stages and/or Capsule boards with their stages."""

    outreach_stages: dict[str, outreach.Stage]
    capsule_boards: dict[str, capsule.Board]
    capsule_stages: dict[str, dict[str, capsule.Stage]]

    def __init__(
        self,
        name: str,
        spec: StageSetSpec | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the set `spec` (a StageSetSpec or the same shape as plain dicts and lists)."""
        declared = load_value(spec, f"StageSet {name!r}")
        super().__init__("pulumi-stages:index:StageSet", name, None, opts)
        self._name = name
        self.outreach_stages, self.capsule_boards, self.capsule_stages = {}, {}, {}
        if declared.outreach is not None:
            self._outreach(declared.outreach)
        if declared.capsule is not None:
            for board in declared.capsule.boards:
                self._capsule_board(declared.capsule, board)
        self.register_outputs(
            {"outreach_stage_ids": {k: s.id for k, s in self.outreach_stages.items()}}
        )

    @classmethod
    def from_file(
        cls, name: str, path: str | Path, opts: pulumi.ResourceOptions | None = None
    ) -> StageSet:
        """Declare the set in a `stages.yaml`; a bad file fails naming file, line and field."""
        return cls(name, load_file(path), opts)

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _outreach(self, section: OutreachSection) -> None:
        for index, stage in enumerate(section.stages):
            self.outreach_stages[stage.identity] = outreach.Stage(
                f"{self._name}/outreach/{resource_part(stage.identity)}",
                name=stage.name,
                color=stage.color,
                order=_hint(index),
                adopt=section.adopt or None,
                ordered_by_set=True,
                opts=self._child(),
            )
        self._order(
            outreach.StageOrder, f"{self._name}/outreach", section.stages, self.outreach_stages
        )

    def _capsule_board(self, section: CapsuleSection, board: CapsuleBoardSpec) -> None:
        prefix = f"{self._name}/capsule/{resource_part(board.name)}"
        created = capsule.Board(
            prefix,
            name=board.name,
            description=board.description,
            adopt=section.adopt or None,
            opts=self._child(),
        )
        self.capsule_boards[board.name] = created
        stages: dict[str, capsule.Stage] = {}
        for index, stage in enumerate(board.stages):
            stages[stage.identity] = capsule.Stage(
                f"{prefix}/{resource_part(stage.identity)}",
                name=stage.name,
                board=board.name,  # known in a preview, unlike created.name
                description=stage.description,
                display_order=_hint(index),
                adopt=section.adopt or None,
                ordered_by_set=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[created]),
            )
        self.capsule_stages[board.name] = stages
        self._order(capsule.StageOrder, prefix, board.stages, stages)

    def _order(
        self,
        kind: type[OrderResource],
        resource_name: str,
        declared: Sequence[StageSpec],
        resources: Mapping[str, pulumi.CustomResource],
    ) -> None:
        """One ordering resource over the declared stages (none for an empty list)."""
        if not declared:
            return
        kind(
            resource_name,
            sequence=[stage.name for stage in declared],
            stages={stage.name: resources[stage.identity].id for stage in declared},
            opts=self._child(),
        )
