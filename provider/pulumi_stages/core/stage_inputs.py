"""A stage resource's inputs, assembled the same way for every adapter: its API fields, then the
switches every stage takes (adoption, the set's ordering) and a retired entry's control."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def stage_inputs(
    fields: Mapping[str, Any],
    *,
    adopt: Any = None,
    adopt_id: Any = None,
    ordered_by_set: bool | None = None,
    retirement: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The inputs of a stage resource: `fields` as declared (the API's fields), `adopt` or
    `adopt_id` to take over an existing stage, `ordered_by_set` when a stage set's order owns
    its position, and `retirement` (`RetiredStageSpec.control`) for a stage the set retires."""
    return {
        **fields,
        "adopt": adopt,
        "adopt_id": adopt_id,
        "ordered_by_set": ordered_by_set,
        **(retirement or {}),
    }
