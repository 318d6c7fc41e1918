"""Reusable pydantic field types whose errors read as plain sentences naming what is expected."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

from .declared_inputs import CONTROL_FIELDS

_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _name(value: Any) -> str:
    if value is None:  # `name:` with nothing after it, in YAML
        raise PydanticCustomError("name_blank", "must not be blank")
    if not isinstance(value, str):
        raise PydanticCustomError("name_type", "must be text, got {value}", {"value": repr(value)})
    if not value.strip():
        raise PydanticCustomError("name_blank", "must not be blank")
    if len(value) > 255:
        raise PydanticCustomError(
            "name_long", "must be at most 255 characters, got {n}", {"n": len(value)}
        )
    return value


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("text_type", "must be text, got {value}", {"value": repr(value)})
    return value


def _hex_color(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _HEX_COLOR.fullmatch(value):
        raise PydanticCustomError(
            "color_format",
            "must be a hex colour such as #5951ff, got {value}",
            {"value": repr(value)},
        )
    return value.lower()


def _position(value: Any) -> int | None:
    """Pulumi sends every number as a float, so 3.0 is the integer 3; 2.5, True and -1 are not."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "position_type", "must be a whole number, got {value}", {"value": repr(value)}
        )
    if isinstance(value, float) and not value.is_integer():
        raise PydanticCustomError(
            "position_type", "must be a whole number, got {value}", {"value": repr(value)}
        )
    if value < 0:
        raise PydanticCustomError(
            "position_range", "must be 0 or more, got {value}", {"value": int(value)}
        )
    return int(value)


Name = Annotated[
    str,
    BeforeValidator(_name),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255, "pattern": "\\S"}),
]
"""A display name: 1 to 255 characters, not blank."""

OptionalText = Annotated[
    str | None, BeforeValidator(_optional_text), WithJsonSchema({"type": ["string", "null"]})
]
"""Free text, or None to leave it to the API."""

HexColor = Annotated[
    str | None,
    BeforeValidator(_hex_color),
    WithJsonSchema({"type": ["string", "null"], "pattern": "^#[0-9a-fA-F]{6}$"}),
]
"""A colour as #rrggbb (stored lower-case) or None."""

Position = Annotated[
    int | None,
    BeforeValidator(_position),
    WithJsonSchema({"type": ["integer", "null"], "minimum": 0}),
]
"""A display position: a whole number >= 0, or None to leave it to the API."""


def _object_id(value: Any) -> str | None:
    """Ids are strings in the core; a whole number (as Pulumi sends one, 7.0) reads as "7"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise PydanticCustomError(
            "id_type", "must be an object id such as 42, got {value}", {"value": repr(value)}
        )
    return str(value).strip()


ObjectId = Annotated[
    str | None,
    BeforeValidator(_object_id),
    WithJsonSchema({"type": ["string", "integer", "null"]}),
]
"""An API object's id: text (a whole number is read as its digits), or None."""


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise PydanticCustomError(
            "flag_type", "must be true or false, got {value}", {"value": repr(value)}
        )
    return value


Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]
"""A true/false switch; None counts as false."""


class AdoptableInputs(BaseModel):
    """Inputs every adoptable resource takes besides its API fields.

    `adopt` takes over an existing object with the same name instead of creating one; `adopt_id`
    takes over that exact object. Either way `create` changes only the fields that differ.
    `ordered_by_set` hands the object's position to a stage set's ordering resource.
    """

    model_config = ConfigDict(extra="forbid")

    adopt: Flag = False
    """Take over an existing object with the same name (and container) instead of creating
    one; an ambiguous name fails, naming the candidates' ids."""
    adopt_id: ObjectId = None
    """Take over the existing object with this id instead of creating one."""
    retire: Flag = False
    """Set by a StageSet for a retired entry with `moved_to`: move the stage's records to
    `moved_to_id`, then delete the stage."""
    keep: Flag = False
    """Set by a StageSet for a retired entry with `keep`: stop managing the stage, leave it."""
    moved_to: OptionalText = None
    """Set by a StageSet for a retired entry: the stage its records move to."""
    moved_to_id: ObjectId = None
    """Set by a StageSet for a retired entry: the id of the stage its records move to."""
    ordered_by_set: Flag = False
    """Set by a StageSet: its ordering resource owns the position, so this resource sends the
    position only as a first guess when creating, and neither diffs nor stores it."""


if frozenset(AdoptableInputs.model_fields) != CONTROL_FIELDS:  # named apart: see declared_inputs
    raise TypeError("AdoptableInputs' fields and declared_inputs.CONTROL_FIELDS differ")
