"""The `outreach:` section of a stage set: Outreach stages in display order."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ..core.models import Flag, HexColor
from ..core.sections import (
    DeclaredSection,
    DeclaredStageSpec,
    Declaring,
    Location,
    RetiredStageSpec,
    SectionSpec,
    SetBuilder,
    StageList,
    retired_problems,
    stage_repeats,
)
from .stage import Stage, StageOrder


class OutreachStageSpec(DeclaredStageSpec):
    """One Outreach stage."""

    color: HexColor = None


class OutreachSection(SectionSpec):
    """Outreach stages, in display order."""

    attribute_names: ClassVar[tuple[str, ...]] = ("outreach_stages",)

    adopt: Flag = Field(default=False, description="Take over existing stages with these names.")
    stages: list[OutreachStageSpec] = Field(default_factory=list)
    retired: list[RetiredStageSpec] = Field(
        default_factory=list,
        description="Stages to take out: their prospects move to `moved_to` first, or `keep`.",
    )

    def declare(self, builder: SetBuilder) -> Declaring:
        stages = yield StageList(
            path=(),
            stages=self.stages,
            retired=self.retired,
            stage=Stage,
            shared={"ordered_by_set": True, "opts": builder.stage_options("order")},
            live=lambda stage, index: {
                "name": stage.name,
                "color": stage.color,
                "order": builder.position_hint(index),
                "adopt": self.adopt or stage.adopt or None,
            },
            order=StageOrder,
        )
        return DeclaredSection(
            attributes={"outreach_stages": stages},
            stage_ids={key: stage.id for key, stage in stages.items()},
        )

    def problems(self) -> list[tuple[Location, str]]:
        return stage_repeats(("stages",), self.stages) + retired_problems(
            ("retired",), self.stages, self.retired
        )

    def stage_count(self) -> int:
        return len(self.stages)
