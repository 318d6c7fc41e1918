"""Inputs not known yet: what Pulumi's Python runtime gives a dynamic provider during a preview."""

from __future__ import annotations

from typing import Any

from pulumi.output import Unknown

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The value Pulumi's Python runtime gives an input that is not known yet (during preview)."""


def is_unknown(value: Any) -> bool:
    """Whether an input is not known yet: the sentinel string, or the SDK's Unknown object
    (which a dynamic provider's check receives for an output of another resource)."""
    return value == UNKNOWN or isinstance(value, Unknown)
