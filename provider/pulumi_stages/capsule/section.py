"""The `capsule:` section of a stage set: boards by name, each with its stages in order."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ..core.models import Flag, Name, OptionalText
from ..core.sections import (
    DeclaredSection,
    DeclaredStageSpec,
    Location,
    RetiredStageSpec,
    SectionSpec,
    SetBuilder,
    Spec,
    kept,
    repeats,
    retired_problems,
    stage_repeats,
)
from .stage import Board, Stage, StageOrder


class CapsuleStageSpec(DeclaredStageSpec):
    """One Capsule stage."""

    description: OptionalText = None


class CapsuleBoardSpec(Spec):
    """A Capsule board, found or created by name, and its stages in display order."""

    name: Name
    key: Name | None = Field(
        default=None,
        description="Stable identity of the board in Pulumi; defaults to its name. Keep the old "
        "name here when renaming: Capsule cannot edit a board, so the rename is shown as a "
        "replace of the board and its stages, refused at preview while its stages hold "
        "projects (as a description change is), instead of a new board beside the old one.",
    )
    description: OptionalText = None
    adopt: Flag = Field(
        default=False,
        description="Take over an existing board with this name and its stages (the "
        "section's `adopt` does it for all).",
    )
    stages: list[CapsuleStageSpec] = Field(default_factory=list)
    retired: list[RetiredStageSpec] = Field(
        default_factory=list,
        description="Stages to take out: their open projects move to `moved_to` (a stage of "
        "this board) first, or `keep`.",
    )

    @property
    def identity(self) -> str:
        """The key that names the board's resources (and its stages')."""
        return self.key or self.name


class CapsuleSection(SectionSpec):
    """Capsule boards with their stages."""

    attribute_names: ClassVar[tuple[str, ...]] = ("capsule_boards", "capsule_stages")

    adopt: Flag = Field(
        default=False, description="Take over existing boards and stages with these names."
    )
    boards: list[CapsuleBoardSpec] = Field(default_factory=list)

    def declare(self, builder: SetBuilder) -> DeclaredSection:
        declared = DeclaredSection(attributes={"capsule_boards": {}, "capsule_stages": {}})
        for board in self.boards:
            created = Board(
                builder.resource_name(board.identity),
                name=board.name,
                description=board.description,
                adopt=self.adopt or board.adopt or None,
                opts=builder.child_options(),
            )
            stages: dict[str, Stage] = {}
            for index, stage in enumerate(board.stages):
                stages[stage.identity] = Stage(
                    builder.resource_name(board.identity, stage.identity),
                    name=stage.name,
                    board=board.name,  # known in a preview, unlike created.name
                    board_id=created.id,  # a replaced board replaces its stages
                    description=stage.description,
                    display_order=builder.position_hint(index),
                    adopt=self.adopt or board.adopt or stage.adopt or None,
                    ordered_by_set=True,
                    opts=builder.stage_options("display_order", depends_on=[created]),
                )
                declared.stage_ids[f"{board.name}/{stage.identity}"] = stages[stage.identity].id
            for entry in kept(board.retired):
                Stage(
                    builder.resource_name(board.identity, entry.identity),
                    name=entry.name,
                    board=board.name,
                    board_id=created.id,
                    ordered_by_set=True,
                    retirement=entry.control(None),
                    opts=builder.stage_options("display_order", depends_on=[created]),
                )
            builder.order(
                StageOrder,
                builder.resource_name(board.identity),
                board.stages,
                stages,
                board.retired,
            )
            declared.attributes["capsule_boards"][board.name] = created
            declared.attributes["capsule_stages"][board.name] = stages
        return declared

    def repeats(self) -> list[tuple[Location, str]]:
        names = [(("boards", i, "name"), b.name) for i, b in enumerate(self.boards)]
        problems = list(repeats(names, "board name"))
        if any(b.key for b in self.boards):  # else a repeated key is a repeated name
            keys = [(("boards", i, "key"), b.identity) for i, b in enumerate(self.boards)]
            problems += list(repeats(keys, "board key"))
        for b, board in enumerate(self.boards):
            problems += stage_repeats(("boards", b, "stages"), board.stages)
            problems += retired_problems(("boards", b, "retired"), board.stages, board.retired)
        return problems

    def stage_count(self) -> int:
        return sum(len(board.stages) for board in self.boards)
