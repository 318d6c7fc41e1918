"""Minimal reordering: which items to give new positions so a list reads in its declared order.

An item can keep its live position only if every kept item after it leaves room for the items in
between: kept items i < j need `p[j] - p[i] >= j - i`, that is `p[i] - i` never decreasing (and
`p[i] - i >= floor` for the items before the first kept one). The longest such run is kept; the
others are written, spread evenly into the gaps between their kept neighbours, or at steps of 10
after the last one. Every gap has room by construction, so nothing else is renumbered.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

STEP = 10
"""Spacing of positions written after the last kept item, leaving room for later inserts."""


def _kept(positions: Sequence[int | None], floor: int) -> list[int]:
    """Indices of a longest run whose `position - index` never decreases (patience sorting)."""
    tails: list[int] = []
    tail_index: list[int] = []
    previous: dict[int, int | None] = {}
    for index, position in enumerate(positions):
        if position is None or position - index < floor:
            continue
        slack = position - index
        slot = bisect_right(tails, slack)
        previous[index] = tail_index[slot - 1] if slot else None
        if slot == len(tails):
            tails.append(slack)
            tail_index.append(index)
        else:
            tails[slot] = slack
            tail_index[slot] = index
    run: list[int] = []
    cursor = tail_index[-1] if tail_index else None
    while cursor is not None:
        run.append(cursor)
        cursor = previous[cursor]
    return run[::-1]


def plan_moves(positions: Sequence[int | None], floor: int = 0) -> dict[int, int]:
    """{index: new position} for the fewest items to rewrite so positions strictly increase.

    `positions[i]` is the live position of the item declared i-th (None if it has none).
    """
    kept = _kept(positions, floor)
    moves: dict[int, int] = {}
    bounds = [*kept, len(positions)]
    start, lower = 0, floor - 1
    for end in bounds:
        width = end - start
        if end == len(positions):
            base = lower if start else floor
            values = [base + STEP * (n + 1) for n in range(width)]
        else:
            upper = positions[end]
            assert upper is not None
            values = [lower + (upper - lower) * (n + 1) // (width + 1) for n in range(width)]
        for index, value in zip(range(start, end), values, strict=True):
            if positions[index] != value:
                moves[index] = value
        if end < len(positions):
            lower = positions[end]  # type: ignore[assignment]
            start = end + 1
    return moves
