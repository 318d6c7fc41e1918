"""The suite's own schedule: the longest files start first under xdist (see LONG_FIRST)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.conftest import LONG_FIRST, pytest_collection_modifyitems

TESTS = Path(__file__).resolve().parent


def test_every_file_named_long_first_exists() -> None:
    """A renamed or removed file would silently drop out of the order."""
    missing = [name for name in LONG_FIRST if not (TESTS / name).is_file()]
    assert missing == []
    assert len(set(LONG_FIRST)) == len(LONG_FIRST)


def test_xdist_keeps_the_collection_order(pytestconfig: pytest.Config) -> None:
    """xdist reorders files by their number of tests unless told not to; that put the longest
    file (two tests, 200 s of one worker) last and left two workers idle for its run."""
    assert pytestconfig.getoption("loadscopereorder") is False


def test_the_long_files_come_first_longest_first_and_the_rest_keep_their_order() -> None:
    names = ["test_a.py", LONG_FIRST[2], "test_b.py", LONG_FIRST[0], "test_a.py", LONG_FIRST[1]]
    items: list[Any] = [SimpleNamespace(path=TESTS / name, n=n) for n, name in enumerate(names)]
    pytest_collection_modifyitems(items)
    assert [(item.path.name, item.n) for item in items] == [
        (LONG_FIRST[0], 3),
        (LONG_FIRST[1], 5),
        (LONG_FIRST[2], 1),
        ("test_a.py", 0),
        ("test_b.py", 2),
        ("test_a.py", 4),
    ]
