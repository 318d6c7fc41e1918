"""The minimal-reordering plan: which positions to rewrite, and that the result is in order."""

from __future__ import annotations

import random
from itertools import combinations, pairwise

import pytest

from pulumi_stages.core.placement import plan_moves


def applied(positions: list[int | None], moves: dict[int, int]) -> list[int | None]:
    return [moves.get(i, p) for i, p in enumerate(positions)]


def strictly_increasing(values: list[int | None]) -> bool:
    known = [v for v in values if v is not None]
    return len(known) == len(values) and all(a < b for a, b in pairwise(known))


FIFTY = list(range(10, 510, 10))


def moved(source: int, target: int) -> list[int | None]:
    items: list[int | None] = list(FIFTY)
    items.insert(target, items.pop(source))
    return items


@pytest.mark.parametrize(("source", "target"), [(40, 2), (0, 49), (49, 0), (10, 11), (25, 24)])
def test_moving_one_of_fifty_rewrites_one(source: int, target: int) -> None:
    positions = moved(source, target)
    moves = plan_moves(positions)
    assert len(moves) == 1
    assert strictly_increasing(applied(positions, moves))


def test_in_order_rewrites_nothing() -> None:
    assert plan_moves(list(FIFTY)) == {}
    assert plan_moves([1, 2, 3]) == {}


def test_reversing_fifty_keeps_one() -> None:
    positions: list[int | None] = list(reversed(FIFTY))
    moves = plan_moves(positions)
    assert len(moves) == 49
    assert strictly_increasing(applied(positions, moves))


def test_no_gap_takes_in_the_neighbour() -> None:
    positions: list[int | None] = [1, 2, 3, None, 4]
    moves = plan_moves(positions)
    assert len(moves) == 2
    assert strictly_increasing(applied(positions, moves))


def test_unpositioned_and_tied_items_get_positions_at_or_above_the_floor() -> None:
    for positions in ([None, None, None], [0, 0, 0], [5, 5, 1, None]):
        moves = plan_moves(list(positions), floor=1)
        result = applied(list(positions), moves)
        assert strictly_increasing(result)
        assert min(v for v in result if v is not None) >= 1


def can_stay(positions: list[int | None], kept: list[int], floor: int) -> bool:
    """Whether the items at `kept` (ascending) can all keep their positions: each has a position,
    `position - index` is at least `floor` and never decreases, so every gap has room."""
    slack = [positions[i] - i if positions[i] is not None else None for i in kept]  # type: ignore[operator]
    return all(s is not None and s >= floor for s in slack) and all(
        a <= b  # type: ignore[operator]
        for a, b in pairwise(slack)
    )


def longest_run_that_can_stay(positions: list[int | None], floor: int) -> int:
    """The length of the longest run of items that can stay, by an O(n^2) dynamic programme
    (independent of the patience sorting in `plan_moves`)."""
    slack = [p - i if p is not None and p - i >= floor else None for i, p in enumerate(positions)]
    ending_at = [0] * len(positions)  # the longest run whose last kept item is j
    for j, sj in enumerate(slack):
        if sj is None:
            continue
        earlier = [ending_at[i] for i in range(j) if slack[i] is not None and slack[i] <= sj]  # type: ignore[operator]
        ending_at[j] = 1 + max(earlier, default=0)
    return max(ending_at, default=0)


def test_random_permutations_always_end_in_order_with_lis_many_kept() -> None:
    rng = random.Random(7)
    for _ in range(300):
        size = rng.randint(1, 40)
        positions: list[int | None] = rng.sample(range(0, 60), size)
        for floor in (0, 1):
            moves = plan_moves(positions, floor)
            kept = [i for i in range(size) if i not in moves]
            assert len(moves) == size - longest_run_that_can_stay(positions, floor), positions
            assert can_stay(positions, kept, floor), (positions, kept)  # the untouched can stay
            assert all(positions[i] != new for i, new in moves.items())  # each move moves
            result = applied(positions, moves)
            assert strictly_increasing(result), (positions, result)
            assert min(v for v in result if v is not None) >= floor


def fewest_moves(positions: list[int | None], floor: int) -> int:
    """The optimum by brute force: the largest subset that can stay with room for the rest."""
    n = len(positions)
    for size in range(n, -1, -1):
        for kept in combinations(range(n), size):
            if can_stay(positions, list(kept), floor):
                return n - size
    return n


def test_the_plan_is_the_fewest_writes_possible() -> None:
    rng = random.Random(11)
    cases: list[list[int | None]] = [[20, 21, 22, 23, 0, 1, 2, 3, 4], [4, 0, 1, 2, 3], [10, 0, 1]]
    for _ in range(400):
        size = rng.randint(0, 7)
        cases.append([rng.choice([None, *range(0, 12)]) for _ in range(size)])
    for positions in cases:
        for floor in (0, 1):
            moves = plan_moves(positions, floor)
            assert strictly_increasing(applied(positions, moves))
            assert len(moves) == fewest_moves(positions, floor), positions
