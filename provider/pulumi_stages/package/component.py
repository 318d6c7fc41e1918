"""`crmstages:index:StageSet`: the stage set as a component, built by the package's construct.

It takes a `stages.yaml` path (`path`, relative to the program's folder) or the same structure
inline (`spec`), and declares what the Python `StageSet` declares; its children register as the
package's own resource types (`crmstages:outreach:Stage`, ...), never as dynamic resources.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import ResourceProvider
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import ConstructRequest, ConstructResponse

from ..core.errors import ConfigError
from ..core.resource import ApiResource
from ..core.unknowns import UNKNOWN
from ..stageset.component import StageSet
from ..stageset.source import load_file
from .catalog import PACKAGE, registering, token_of
from .values import plain_map, wrap

STAGE_SET = f"{PACKAGE}:index:StageSet"
SAME: Any = ...
"""What `pulumi.Alias` takes for "as the resource has it now" (typed loosely by the SDK)."""


class PackageStageSet(StageSet):
    """The Python `StageSet`, registered as the package's component type."""

    type_token: ClassVar[str] = STAGE_SET


def register_in_package(
    resource: ApiResource,
    _provider: ResourceProvider,
    name: str,
    props: dict[str, Any],
    opts: pulumi.ResourceOptions | None,
) -> None:
    """Register a stage set's child as the package's resource of its type, aliased to its
    dynamic type: a set moved from the Python door (its component aliased to
    `pulumi-stages:index:StageSet`) keeps every stage, with no create and no delete."""
    dynamic = f"pulumi-python:{getattr(type(resource), '_resource_type_name', '')}"
    moved = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=dynamic)])
    options = pulumi.ResourceOptions.merge(opts, moved)
    pulumi.CustomResource.__init__(resource, token_of(type(resource)), name, props, options)


def _alias(alias: Any) -> str | pulumi.Alias:
    """An alias the engine sent (a URN, or a spec message, which the SDK's construct passes on
    unconverted and then rejects) as the SDK takes it."""
    if isinstance(alias, str | pulumi.Alias):
        return alias
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    spec = alias.spec
    parent: Any = SAME
    if spec.WhichOneof("parent") == "parentUrn":
        parent = spec.parentUrn
    elif spec.WhichOneof("parent") == "noParent":
        parent = None
    return pulumi.Alias(
        name=spec.name or SAME,
        type_=spec.type or SAME,
        stack=spec.stack or SAME,
        project=spec.project or SAME,
        parent=parent,
    )


def _options(options: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """The component's options with its aliases in the SDK's terms."""
    converted = copy.copy(options)
    converted.aliases = [_alias(alias) for alias in options.aliases or []]
    return converted


def declaration(inputs: Mapping[str, Any]) -> Any:
    """The set's declaration: the file at `path`, or the inline `spec`; exactly one."""
    path, spec = inputs.get("path"), inputs.get("spec")
    if (path is None) == (spec is None):
        raise ConfigError("a crmstages StageSet takes `path` (a stages.yaml) or `spec`, not both")
    return load_file(str(path)) if path is not None else spec


async def construct_stage_set(request: ConstructRequest) -> ConstructResponse:
    """Declare the set's resources under a component of the package's type."""
    if request.resource_type != STAGE_SET:
        raise ValueError(f"crmstages constructs {STAGE_SET} only, not {request.resource_type}")
    spec = declaration(plain_map(request.inputs))
    with registering(register_in_package):
        component = PackageStageSet(request.name, spec, _options(request.options))
    state: dict[str, PropertyValue] = {}
    for adapter, stage_ids in component.stage_ids.items():
        ids: dict[str, PropertyValue] = {}
        for key, stage_id in stage_ids.items():
            known = await stage_id.is_known()
            ids[key] = wrap(await stage_id.future()) if known else wrap(UNKNOWN)
        state[f"{adapter}_stage_ids"] = PropertyValue(ids)
    urn = await component.urn.future()
    assert urn is not None
    return ConstructResponse(urn, state, {})
