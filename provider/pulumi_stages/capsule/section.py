"""The `capsule:` section of a stage set: boards by name, each with its stages in order."""

from __future__ import annotations

from collections.abc import Generator
from typing import ClassVar

from pydantic import Field

from ..core.container_sections import ContainerSpec, container_problems
from ..core.models import Flag, Name, OptionalText
from ..core.sections import (
    DeclaredSection,
    DeclaredStageSpec,
    Declaring,
    Location,
    SectionSpec,
    SetBuilder,
    StageList,
    StageResources,
)
from .stage import Board, Stage, StageOrder


class CapsuleStageSpec(DeclaredStageSpec):
    """One Capsule stage."""

    description: OptionalText = None


class CapsuleBoardSpec(ContainerSpec):
    """A Capsule board, found or created by name, and its stages in display order."""

    key: Name | None = Field(
        default=None,
        description="Stable identity of the board in Pulumi; defaults to its name. Keep the old "
        "name here when renaming: Capsule cannot edit a board, so the rename is shown as a "
        "replace of the board and its stages, refused at preview while its stages hold "
        "projects (as a description change is), instead of a new board beside the old one.",
    )
    description: OptionalText = None
    stages: list[CapsuleStageSpec] = Field(default_factory=list)


class CapsuleSection(SectionSpec):
    """Capsule boards with their stages."""

    attribute_names: ClassVar[tuple[str, ...]] = ("capsule_boards", "capsule_stages")

    adopt: Flag = Field(
        default=False, description="Take over existing boards and stages with these names."
    )
    boards: list[CapsuleBoardSpec] = Field(default_factory=list)

    def declare(self, builder: SetBuilder) -> Declaring:
        declared = DeclaredSection(attributes={"capsule_boards": {}, "capsule_stages": {}})
        for board in self.boards:
            created, stages = yield from self._declare_board(builder, board)
            for identity, stage in stages.items():
                declared.stage_ids[f"{board.name}/{identity}"] = stage.id
            declared.attributes["capsule_boards"][board.name] = created
            declared.attributes["capsule_stages"][board.name] = stages
        return declared

    def _declare_board(
        self, builder: SetBuilder, board: CapsuleBoardSpec
    ) -> Generator[StageList, StageResources, tuple[Board, StageResources]]:
        """The board, and its stages by identity (retired ones and the order declared too)."""
        created = Board(
            builder.resource_name(board.identity),
            name=board.name,
            description=board.description,
            adopt=self.adopt or board.adopt or None,
            opts=builder.child_options(),
        )

        stages = yield StageList(
            path=(board.identity,),
            stages=board.stages,
            retired=board.retired,
            stage=Stage,
            shared={
                "board": board.name,  # known in a preview, unlike created.name
                "board_id": created.id,  # a replaced board replaces its stages
                "ordered_by_set": True,
                "opts": builder.stage_options("display_order", depends_on=[created]),
            },
            live=lambda stage, index: {
                "name": stage.name,
                "description": stage.description,
                "display_order": builder.position_hint(index),
                "adopt": self.adopt or board.adopt or stage.adopt or None,
            },
            order=StageOrder,
        )
        return created, stages

    def problems(self) -> list[tuple[Location, str]]:
        return container_problems(("boards",), self.boards, "board")

    def stage_count(self) -> int:
        return sum(len(board.stages) for board in self.boards)
