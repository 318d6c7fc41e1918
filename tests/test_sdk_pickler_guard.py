"""The guard against the SDK's leaked pickler patch is decided by what the installed SDK does,
not by its version (the wheel test runs the same code on the oldest and newest SDKs)."""

from __future__ import annotations

import pickle
from typing import Any

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
