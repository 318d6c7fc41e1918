"""The package schema, generated from the registry and the adapters' typed models.

Each resource's inputs are its Python class's constructor arguments (types from their
annotations, descriptions from the adapter's inputs model, whose fields carry docstrings); its
outputs add what the API computes. A new CRM adds its types here with no edit by hand.
`python -m pulumi_stages.package.schema > schema.json` prints it.
"""

from __future__ import annotations

import collections.abc
import inspect
import json
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic import BaseModel

from ..core.attribute_docs import attribute_docs
from ..core.declared_inputs import DeclaredInputs
from ..core.registry import adapters
from .catalog import PACKAGE, ResourceType, resource_types
from .config import config_keys

ANY = {"$ref": "pulumi.json#/Any"}
SDK_NAMES = {"Output": pulumi.Output, "T": Any}
"""Names `pulumi.Input`'s forward reference needs to resolve."""

OUTPUT_NOTES: Mapping[str, str] = {
    "created_at": "When {api} created it (as {api} reports it).",
    "updated_at": "When {api} last changed it (as {api} reports it).",
    "positions": "Each stage's position as {api} holds it, by stage name.",
}
"""What the outputs every adapter's objects share say; an id (`*_id`) is described by name."""


def schema_type(annotation: Any) -> dict[str, Any]:
    """A Python annotation (`pulumi.Input[str] | None`, `Sequence[str]`) as a schema type."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if _is_value(a)]
        if str in members:
            return {"type": "string"}  # an id given as text or a number: text
        return schema_type(members[0]) if members else ANY
    if origin in (list, tuple, collections.abc.Sequence):
        return {"type": "array", "items": schema_type(typing.get_args(annotation)[0])}
    if origin in (dict, collections.abc.Mapping):
        value = typing.get_args(annotation)[1] if typing.get_args(annotation) else Any
        return {"type": "object", "additionalProperties": schema_type(value)}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if annotation in simple:
        return {"type": simple[annotation]}
    return dict(ANY)


def _is_value(annotation: Any) -> bool:
    """Whether a union member is a value (not None, an Awaitable or an Output of one)."""
    if annotation is type(None):
        return False
    origin = typing.get_origin(annotation) or annotation
    return not (inspect.isclass(origin) and origin.__name__ in ("Awaitable", "Output"))


def _model(kind: ResourceType) -> type[BaseModel] | None:
    """The adapter's inputs model of this type (None for an ordering resource, or a class that
    needs an argument to pick its provider, such as an object type)."""
    try:
        provider = kind.provider({})
    except Exception:
        return None
    inputs = getattr(provider, "inputs", None)
    return inputs.model() if isinstance(inputs, DeclaredInputs) else None


def _described(kind: ResourceType, name: str, model: type[BaseModel] | None) -> str:
    """A field's description: its model's docstring, the class's note, else what another type
    of the same adapter says of a field of that name."""
    notes: Mapping[str, str] = getattr(kind.cls, "field_notes", {})
    found = _field_doc(model, name) or notes.get(name, "")
    if found:
        return found
    for other in resource_types().values():
        if other.adapter is kind.adapter and other is not kind:
            other_notes: Mapping[str, str] = getattr(other.cls, "field_notes", {})
            if name in other_notes:
                return other_notes[name]
            other_doc = _field_doc(_model(other), name)
            if other_doc:
                return other_doc
    return ""


def _field_doc(model: type[BaseModel] | None, name: str) -> str:
    """A model field's description, else the docstring written under it."""
    if model is None or name not in model.model_fields:
        return ""
    return model.model_fields[name].description or attribute_docs(model).get(name, "")


def _output_note(kind: ResourceType, name: str) -> str:
    """An output's description: the class's note, else one every adapter's outputs share."""
    notes: Mapping[str, str] = getattr(kind.cls, "field_notes", {})
    if name in notes:
        return notes[name]
    api = kind.adapter.settings.api
    if name in OUTPUT_NOTES:
        return OUTPUT_NOTES[name].format(api=api)
    if name.endswith("_id"):
        return f"{api}'s id of the {name.removesuffix('_id').replace('_', ' ')}."
    return ""


def resource_schema(kind: ResourceType) -> dict[str, Any]:
    """One resource type: its inputs (required where the constructor has no default) and
    outputs, each with its type and description."""
    hints = typing.get_type_hints(kind.cls.__init__, localns=SDK_NAMES)
    model = _model(kind)
    inputs: dict[str, Any] = {}
    required = []
    for param in kind.parameters():
        inputs[param.name] = {
            **schema_type(hints.get(param.name, Any)),
            "description": _described(kind, param.name, model),
        }
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
    outputs = dict(inputs)
    for name in getattr(kind.cls, "output_names", ()):
        if name not in outputs:
            described = _output_note(kind, name) or _described(kind, name, model)
            outputs[name] = {
                **schema_type(_output_of(_declared(kind.cls, name))),
                "description": described,
            }
    return {
        "description": inspect.getdoc(kind.cls) or "",
        "inputProperties": inputs,
        "requiredInputs": required,
        "properties": outputs,
        "required": [name for name in required if name in outputs],
    }


def _declared(cls: type[Any], name: str) -> Any:
    """The annotation of the class attribute `name` (`stage_id: pulumi.Output[int]`)."""
    for klass in cls.__mro__:
        annotation = vars(klass).get("__annotations__", {}).get(name)
        if isinstance(annotation, str):  # resolved alone, in the module that wrote it
            alone = type("_", (), {"__annotations__": {name: annotation}})
            alone.__module__ = klass.__module__
            return typing.get_type_hints(alone, localns=SDK_NAMES)[name]
        if annotation is not None:
            return annotation
    return Any


def _output_of(annotation: Any) -> Any:
    """`pulumi.Output[T]` as T."""
    args = typing.get_args(annotation)
    return args[0] if args else annotation


def stage_set_schema() -> dict[str, Any]:
    """The `StageSet` component: a stages.yaml path, or the same structure inline."""
    outputs = {
        f"{name}_stage_ids": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": f"The {a.settings.api} stage ids of the set, by stage key.",
        }
        for name, a in adapters().items()
    }
    return {
        "isComponent": True,
        "description": "An ordered set of stages in one or more CRMs, as in stages.yaml.",
        "inputProperties": {
            "path": {
                "type": "string",
                "description": "A stages.yaml file, relative to the program's folder.",
            },
            "spec": {
                **ANY,
                "description": "The stage set itself, in the shape of stages.yaml.",
            },
        },
        "properties": outputs,
    }


def schema(version: str = "0.0.0") -> dict[str, Any]:
    """The whole package schema."""
    variables = {
        key.name: {"type": "string", "description": key.description, "secret": key.secret}
        if key.secret
        else {"type": "string", "description": key.description}
        for key in config_keys()
    }
    resources = {token: resource_schema(kind) for token, kind in resource_types().items()}
    resources[f"{PACKAGE}:index:StageSet"] = stage_set_schema()
    return {
        "name": PACKAGE,
        "displayName": "CRM stages",
        "version": version,
        "description": "CRM pipeline stages as code: "
        + ", ".join(a.settings.api for a in adapters().values())
        + ".",
        "keywords": ["crm", "pipelines", "stages"],
        "license": "Apache-2.0",
        "config": {"variables": variables},
        "provider": {
            "description": "The crmstages provider: credentials and base URLs per CRM.",
            "inputProperties": variables,
        },
        "resources": resources,
    }


def schema_text(version: str = "0.0.0") -> str:
    """The schema as indented JSON with a final newline."""
    return json.dumps(schema(version), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
