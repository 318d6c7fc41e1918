"""What a stage set declares: the shape of `stages.yaml`, built from the registered adapters.

Each adapter contributes one optional section (`outreach:`, `capsule:`, ...). The model is made
from the registry when first asked for, and again whenever an adapter is registered, so a new
CRM needs no line here. `StageSetSpec` is that model (looked up on access).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pydantic import Field, create_model

from ..core import registry
from ..core.sections import Location, SectionSpec, Spec

__all__ = [
    "Location",
    "StageSetBase",
    "json_schema",
    "json_schema_text",
    "section_problems",
    "shipped_schema_text",
    "stage_set_model",
]


class StageSetBase(Spec):
    """A stage set: one optional section per registered adapter, each list in display order."""

    def sections(self) -> dict[str, SectionSpec]:
        """The declared sections by adapter name."""
        found = {name: getattr(self, name, None) for name in type(self).model_fields}
        return {name: section for name, section in found.items() if section is not None}


_built: dict[int, type[StageSetBase]] = {}


def stage_set_model() -> type[StageSetBase]:
    """The `StageSetSpec` model of the adapters registered now."""
    version = registry.version()
    if version not in _built:
        fields: dict[str, Any] = {
            name: (
                adapter.section | None,
                Field(default=None, description=(adapter.section.__doc__ or "").strip()),
            )
            for name, adapter in registry.adapters().items()
        }
        model = create_model(
            "StageSetSpec",
            __base__=StageSetBase,
            __doc__="A stage set: one section per CRM, each list in display order.",
            **fields,
        )
        _built.clear()
        _built[version] = model
    return _built[version]


def __getattr__(name: str) -> Any:
    if name == "StageSetSpec":
        return stage_set_model()
    raise AttributeError(name)


def section_problems(spec: StageSetBase) -> list[tuple[Location, str]]:
    """What every section's schema cannot say (`SectionSpec.problems`): names or keys declared
    twice, retired entries that do not fit, lists the CRM cannot hold."""
    return [
        ((name, *location), message)
        for name, section in spec.sections().items()
        for location, message in section.problems()
    ]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of `stages.yaml`, as editors and `pulumi-stages schema` use it."""
    schema = stage_set_model().model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "pulumi-stages stage set (stages.yaml)",
    }


def json_schema_text() -> str:
    """The schema generated from the models: indented JSON with a final newline."""
    return json.dumps(json_schema(), indent=2) + "\n"


def shipped_schema_text() -> str:
    """The schema file that ships in the package (a test keeps it equal to the generated one)."""
    return resources.files(__package__).joinpath("stages.schema.json").read_text()
