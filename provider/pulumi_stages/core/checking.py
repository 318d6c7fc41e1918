"""Validation: declared inputs checked field by field against the resource's pydantic model.

`check` returns one failure per bad field in plain words. Only check, create and update import
this module (and pydantic with it); see `declared_inputs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pydantic import BaseModel, ValidationError

from .declared_inputs import CONTROL_FIELDS
from .errors import InvalidInputs
from .unknowns import is_unknown


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
    """Inputs as the model reads them (create and update get inputs `check` already passed, or
    took unchanged from state: one written by an older release may fail today's rules, and
    then nothing is written and the error names each field)."""
    raw = {name: props.get(name) for name in names if name in props}
    try:
        return model.model_validate(raw).model_dump()
    except ValidationError as error:
        found = "; ".join(failure.reason for failure in format_failures(error, frozenset()))
        raise InvalidInputs(
            f"{found} (kept from state, where an earlier release accepted it: change the "
            "declaration, then run `pulumi up` again; nothing was written)"
        ) from None
