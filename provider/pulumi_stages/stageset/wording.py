"""Validation problems in the user's words: an unknown key names the close match it probably
meant (`did you mean `probability`?`) or the keys that fit there; a missing one says so."""

from __future__ import annotations

import difflib
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from .spec import Location


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through Optional, lists, unions, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType) or get_args(annotation):
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    return []


def model_at(root: type[BaseModel], location: Location) -> type[BaseModel] | None:
    """The model whose fields sit at `location` (list indexes are skipped), or None."""
    current: type[BaseModel] | None = root
    for part in location:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        found = _models_in(field.annotation) if field is not None else []
        current = found[0] if len(found) == 1 else None
    return current


def keys_of(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def worded(root: type[BaseModel], location: Location, kind: str, message: str) -> str:
    """Pydantic's message for one problem, in the user's words where it has better ones."""
    if kind == "missing":
        return "required, but missing"
    if kind != "extra_forbidden" or not location:
        return message
    model = model_at(root, location[:-1])
    if model is None:
        return "unknown key"
    keys = keys_of(model)
    close = difflib.get_close_matches(str(location[-1]), keys, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean `{close[0]}`?"
    return f"unknown key; expected one of: {', '.join(keys)}"
