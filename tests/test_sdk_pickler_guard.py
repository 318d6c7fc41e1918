"""The guard against the SDK's leaked pickler patch is decided by what the installed SDK does,
not by its version (the wheel test runs the same code on the oldest and newest SDKs)."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Iterator
from typing import Any

import pulumi.dynamic.dynamic
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_stages.core.resource import sdk_leaks_pickler_patch

PICKLER: Any = pickle._Pickler


def pickler_state() -> tuple[Any, Any]:
    return PICKLER._batch_setitems, PICKLER.save_dict


def test_the_probe_puts_the_pickler_back_as_it_found_it() -> None:
    before = pickler_state()
    sdk_leaks_pickler_patch.cache_clear()
    sdk_leaks_pickler_patch()
    assert pickler_state() == before


def test_the_probe_answers_what_serialize_provider_does_here() -> None:
    before = pickler_state()
    try:
        serialize_provider(ResourceProvider())
        leaked = pickler_state() != before
    finally:
        PICKLER._batch_setitems, PICKLER.save_dict = before
    sdk_leaks_pickler_patch.cache_clear()
    assert sdk_leaks_pickler_patch() is leaked


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    """The probe's cached answer forgotten before and after (a stand-in SDK answers here)."""
    sdk_leaks_pickler_patch.cache_clear()
    yield
    sdk_leaks_pickler_patch.cache_clear()


PATCHING = threading.Event()
"""Set while the stand-in below has the pickler patched."""


def tidy_serialize_provider(provider: Any) -> str:
    """A stand-in `serialize_provider` of an SDK that cleans up: it patches the pickler while it
    works (slowly), then puts it back."""
    saved = pickler_state()
    PICKLER._batch_setitems = lambda *args: None
    PATCHING.set()
    try:
        time.sleep(0.2)
        return "serialized"
    finally:
        PICKLER._batch_setitems, PICKLER.save_dict = saved
        PATCHING.clear()


def test_an_sdk_that_puts_the_pickler_back_is_seen_not_to_leak(
    monkeypatch: pytest.MonkeyPatch, fresh_probe: None
) -> None:
    monkeypatch.setattr(pulumi.dynamic.dynamic, "serialize_provider", tidy_serialize_provider)
    before = pickler_state()
    assert sdk_leaks_pickler_patch() is False
    assert pickler_state() == before


def test_a_probe_started_during_another_waits_for_it(
    monkeypatch: pytest.MonkeyPatch, fresh_probe: None
) -> None:
    """A second first call while the first one has the pickler patched (the cache lets both
    in): without the lock it would take that patch for the pickler as it was, and put it back
    after the first had restored the real one, leaving the pickler patched."""
    monkeypatch.setattr(pulumi.dynamic.dynamic, "serialize_provider", tidy_serialize_provider)
    before = pickler_state()
    answers: list[bool] = []

    def second() -> None:
        assert PATCHING.wait(10)
        answers.append(sdk_leaks_pickler_patch())

    thread = threading.Thread(target=second)
    thread.start()
    answers.append(sdk_leaks_pickler_patch())
    thread.join()
    assert answers == [False, False]
    assert pickler_state() == before
