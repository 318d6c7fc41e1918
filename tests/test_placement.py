"""The minimal-reordering plan: which positions to rewrite, and that the result is in order."""

from __future__ import annotations

import random
from itertools import pairwise

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


def test_random_permutations_always_end_in_order_with_lis_many_kept() -> None:
    rng = random.Random(7)
    for _ in range(300):
        size = rng.randint(1, 40)
        positions: list[int | None] = rng.sample(range(0, 60), size)
        moves = plan_moves(positions)
        assert strictly_increasing(applied(positions, moves))
