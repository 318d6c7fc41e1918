"""Minimal reordering: which items to give new positions so a list reads in its declared order.

Items keep their live positions where they already form the longest increasing run; only the
others are written, into the gaps between their kept neighbours. A gap too small for what must
go in it takes in its neighbour too, so renumbering stays local and happens only when needed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

STEP = 10
"""Spacing of positions written after the last kept item, leaving room for later inserts."""


def _longest_increasing(positions: Sequence[int | None]) -> list[int]:
    """Indices of one longest strictly increasing run of known positions (patience sorting)."""
    tails: list[int] = []
    tail_index: list[int] = []
    previous: dict[int, int | None] = {}
    for index, value in enumerate(positions):
        if value is None:
            continue
        slot = bisect_left(tails, value)
        previous[index] = tail_index[slot - 1] if slot else None
        if slot == len(tails):
            tails.append(value)
            tail_index.append(index)
        else:
            tails[slot] = value
            tail_index[slot] = index
    run: list[int] = []
    cursor = tail_index[-1] if tail_index else None
    while cursor is not None:
        run.append(cursor)
        cursor = previous[cursor]
    return run[::-1]


def _place(positions: Sequence[int | None], kept: set[int], floor: int) -> dict[int, int]:
    """New positions for every index not in `kept`, between kept neighbours."""
    keep = set(kept)
    moves: dict[int, int] = {}
    count = len(positions)
    last = floor - 1
    start = 0
    while start < count:
        if start in keep:
            last = positions[start]  # type: ignore[assignment]
            start += 1
            continue
        end = start
        while end < count and end not in keep:
            end += 1
        while end < count and positions[end] - last - 1 < end - start:  # type: ignore[operator]
            keep.discard(end)  # no room: the neighbour moves too
            end += 1
            while end < count and end not in keep:
                end += 1
        width = end - start
        if end == count:
            values = [last + STEP * (n + 1) for n in range(width)]
        else:
            span = positions[end] - last  # type: ignore[operator]
            values = [last + span * (n + 1) // (width + 1) for n in range(width)]
        for index, value in zip(range(start, end), values, strict=True):
            if positions[index] != value:
                moves[index] = value
        last = values[-1]
        start = end
    return moves


def plan_moves(positions: Sequence[int | None], floor: int = 0) -> dict[int, int]:
    """{index: new position} for the fewest items to rewrite so positions strictly increase.

    `positions[i]` is the live position of the item declared i-th (None if it has none; one
    below `floor` is moved too). Two
    longest runs are tried (earliest-ending and latest-starting) and the cheaper plan is kept.
    """
    usable = [None if p is None or p < floor else p for p in positions]
    forward = set(_longest_increasing(usable))
    mirrored = [None if p is None else -p for p in reversed(usable)]
    backward = {len(positions) - 1 - i for i in _longest_increasing(mirrored)}
    plans = [_place(positions, forward, floor), _place(positions, backward, floor)]
    return min(plans, key=len)
