"""Validation and diff: declared inputs checked field by field, and compared with the last state.

`check` returns one failure per bad field in plain words; `diff` compares only the API fields a
resource owns (a stage in a set leaves its position to the set's ordering resource).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown
from pydantic import BaseModel, ValidationError

from .models import CONTROL_FIELDS

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The value Pulumi's Python runtime gives an input that is not known yet (during preview)."""


def is_unknown(value: Any) -> bool:
    """Whether an input is not known yet: the sentinel string, or the SDK's Unknown object
    (which a dynamic provider's check receives for an output of another resource)."""
    return value == UNKNOWN or isinstance(value, Unknown)


def format_failures(error: ValidationError, unknown: frozenset[str]) -> list[CheckFailure]:
    """One CheckFailure per bad field, named by its path, skipping fields not known yet."""
    failures = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        if path in unknown:
            continue
        failures.append(CheckFailure(path, f"{path}: {item['msg']}"))
    return failures


def checked(
    model: type[BaseModel], names: Iterable[str], news: Mapping[str, Any]
) -> tuple[dict[str, Any], frozenset[str], list[CheckFailure]]:
    """The declared inputs validated (unset switches dropped), the names not known yet, and one
    failure per bad field; on failure the raw inputs come back unchanged."""
    raw = {name: news[name] for name in names if name in news}
    unknown = frozenset(name for name, value in raw.items() if is_unknown(value))
    known = {name: value for name, value in raw.items() if name not in unknown}
    try:
        inputs = model.model_validate(known).model_dump()
    except ValidationError as error:
        return raw, unknown, format_failures(error, unknown)
    for name in CONTROL_FIELDS:  # unset switches would only clutter every preview
        if inputs.get(name) in (None, False):
            inputs.pop(name, None)
    return inputs, unknown, []


def validated(
    model: type[BaseModel], names: Iterable[str], props: Mapping[str, Any]
) -> dict[str, Any]:
    """Inputs as the model reads them (create and update get inputs `check` already passed)."""
    raw = {name: props.get(name) for name in names if name in props}
    return model.model_validate(raw).model_dump()


def changed(olds: Mapping[str, Any], news: Mapping[str, Any], owned: Iterable[str]) -> list[str]:
    """The owned fields whose declared value differs from the last known one (None: left to
    the API, never a change)."""
    return [
        name for name in owned if news.get(name) is not None and news.get(name) != olds.get(name)
    ]
