"""A StageSet's attributes for a section the stack does not declare are empty mappings, so one
`__main__.py` serves stacks with and without that section (the program side only: no provider
runs here, so Pulumi's mocks are enough)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime.settings import reset_options

from pulumi_stages.stageset import StageSet


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[str]]:
        return {}, []


@pytest.fixture
def outreach_only() -> Iterator[StageSet]:
    pulumi.runtime.set_mocks(_Mocks(), preview=True)
    try:
        yield StageSet("sales", {"outreach": {"stages": [{"name": "Lead"}, {"name": "Won"}]}})
    finally:
        reset_options()  # no mock monitor is left for another test of this process


def test_absent_sections_give_empty_mappings(outreach_only: StageSet) -> None:
    assert sorted(outreach_only.outreach_stages) == ["Lead", "Won"]
    assert outreach_only.capsule_boards == {}
    assert outreach_only.capsule_stages == {}
    assert outreach_only.hubspot_stages == {}


def test_a_misspelt_attribute_is_still_an_error(outreach_only: StageSet) -> None:
    with pytest.raises(AttributeError, match="outreach_stagse"):
        _ = outreach_only.outreach_stagse
