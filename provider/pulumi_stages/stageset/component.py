"""The `StageSet` component: one declaration (YAML or Python) becomes stages, containers and
orders, through the registered adapters.

Each stage's resource is named by its key (its name unless `key` says otherwise), never by its
position, so moving a stage in the list changes only the set's ordering resource, which then
writes as few positions as it can. A stage's create-time position hint is ignored after create
(`ignore_changes`), so moving one stage changes no other stage's inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pulumi

from ..core import registry
from ..core.sections import RetiredStageSpec, StageSpec, declare_section, resource_part
from .source import load_file, load_value
from .spec import StageSetBase

HINT_STEP = 10
"""New stages are created at (position + 1) * 10, which is right on a fresh account; the
ordering resource corrects it where the account's existing positions differ."""


class _Builder:
    """What one section sees of the component while it declares its resources."""

    def __init__(self, component: StageSet, adapter: str) -> None:
        self._component = component
        self._prefix = f"{component.set_name}/{adapter}"
        self._stage_options: dict[str, pulumi.ResourceOptions] = {}
        """A dependency-free stage's options, made once per set (the SDK copies them)."""

    def resource_name(self, *parts: str) -> str:
        return "/".join([self._prefix, *(resource_part(part) for part in parts)])

    def child_options(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self._component, depends_on=list(depends_on) or None)

    def stage_options(
        self, position_field: str, depends_on: Sequence[pulumi.Resource] = ()
    ) -> pulumi.ResourceOptions:
        if not depends_on and position_field in self._stage_options:
            return self._stage_options[position_field]
        made = pulumi.ResourceOptions(
            parent=self._component,
            depends_on=list(depends_on) or None,  # none: the SDK resolves an empty list too
            ignore_changes=[position_field],
        )
        if not depends_on:
            self._stage_options[position_field] = made
        return made

    def position_hint(self, index: int) -> int:
        return (index + 1) * HINT_STEP

    def order(
        self,
        kind: type[Any],
        resource_name: str,
        declared: Sequence[StageSpec],
        resources: Mapping[str, pulumi.CustomResource],
        released: Sequence[RetiredStageSpec] = (),
    ) -> None:
        if not declared:
            return
        kind(
            resource_name,
            sequence=[stage.name for stage in declared],
            stages={stage.name: resources[stage.identity].id for stage in declared},
            opts=self.child_options(),
            released=[stage.name for stage in released],
            moved_to={stage.name: stage.moved_to for stage in released if stage.moved_to},
        )


class StageSet(pulumi.ComponentResource):
    """An ordered set of stages in one or more CRMs, one section per CRM.

    Each section's resources are attributes named by its adapter, e.g. `outreach_stages`
    (key -> Stage), `capsule_boards` (name -> Board), `capsule_stages` (board -> key -> Stage).
    """

    type_token: ClassVar[str] = "pulumi-stages:index:StageSet"
    """The component's type (the provider package's construct registers its own)."""

    def __init__(
        self,
        name: str,
        spec: StageSetBase | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the set `spec` (a StageSetSpec or the same shape as plain dicts and lists)."""
        declared = load_value(spec, f"StageSet {name!r}")
        super().__init__(self.type_token, name, None, opts)
        self.set_name = name
        self.resources: dict[str, dict[str, Any]] = {}
        self.stage_ids: dict[str, dict[str, pulumi.Output[str]]] = {}
        """Each section's stage ids by stage key (the `<adapter>_stage_ids` outputs)."""
        for adapter, section in declared.sections().items():
            result = declare_section(_Builder(self, adapter), section)
            self.resources[adapter] = result.attributes
            self.stage_ids[adapter] = result.stage_ids
        self.register_outputs({f"{a}_stage_ids": ids for a, ids in self.stage_ids.items()})

    def __getattr__(self, name: str) -> Any:
        """A section's resources by the name its adapter gives them (`outreach_stages`); an
        empty mapping when the set has no such section."""
        for attributes in self.__dict__.get("resources", {}).values():
            if name in attributes:
                return attributes[name]
        if any(name in a.section.attribute_names for a in registry.adapters().values()):
            return {}
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @classmethod
    def from_file(
        cls, name: str, path: str | Path, opts: pulumi.ResourceOptions | None = None
    ) -> StageSet:
        """Declare the set in a `stages.yaml`; a bad file fails naming file, line and field."""
        return cls(name, load_file(path), opts)
