"""Pulumi property values to the plain values the dynamic providers take, and back.

The dynamic providers see numbers as floats, unknowns as the SDK's sentinel string and secrets
unwrapped; these helpers give them the same through the package door.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.provider.experimental.property_value import (
    Computed,
    PropertyValue,
    ResourceReference,
)

from ..core.unknowns import UNKNOWN, is_unknown


def plain(value: PropertyValue) -> Any:
    """A property value as a plain Python value."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, ResourceReference):
        return plain(inner.resource_id) if inner.resource_id is not None else inner.urn
    if isinstance(inner, Mapping):
        return {key: plain(item) for key, item in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [plain(item) for item in inner]
    return inner


def plain_map(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """A map of property values as plain values."""
    return {key: plain(value) for key, value in values.items()}


def wrap(value: Any) -> PropertyValue:
    """A plain value as a property value."""
    if value is None:
        return PropertyValue(None)
    if is_unknown(value):  # on the wire an unknown is this string (the SDK cannot send Computed)
        return PropertyValue(UNKNOWN)
    if isinstance(value, bool | str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({str(key): wrap(item) for key, item in value.items()})
    if isinstance(value, Sequence):
        return PropertyValue([wrap(item) for item in value])
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")


def wrap_map(values: Mapping[str, Any]) -> dict[str, PropertyValue]:
    """A map of plain values as property values."""
    return {key: wrap(value) for key, value in values.items()}
