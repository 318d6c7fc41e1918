"""A check of a declaration unchanged since the state's inputs were written takes them as the last
check left them, without validating again (a plan that changes no stage loads no pydantic): the
result is the one validation gives, and anything changed is validated as before."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_stages.core.declared_inputs import CONTROL_FIELDS, as_last_checked
from pulumi_stages.core.errors import InvalidInputs
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.stage import OutreachStageProvider
from tests.test_adapter_contract import ADAPTERS, provider_classes

OWNER = {"managed_by": "o/p/s", "resource_name": "pipeline/outreach/Unchanged"}


def configured(base_url: str, token: str) -> OutreachStageProvider:
    provider = OutreachStageProvider()
    config = {"outreach:accessToken": token, "outreach:baseUrl": base_url}
    provider.configure(ConfigureRequest(Config(config, project_name="p")))
    return provider


def as_state_holds(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs after a trip through state: no nulls, every number a float."""
    return {
        key: float(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for key, value in inputs.items()
        if value is not None
    }


def test_an_unchanged_stage_is_checked_as_validation_would_check_it(
    outreach: EmulatorServer, token: str
) -> None:
    provider = configured(outreach.base_url, token)
    news = {"name": "Unchanged", "color": "#abcdef", "order": 3.0, "ordered_by_set": True, **OWNER}
    first = provider.check({}, news)
    assert first.failures == []
    olds = as_state_holds(first.inputs)
    again = provider.check(olds, news)
    assert again.failures == []
    assert as_state_holds(again.inputs) == olds


@pytest.mark.parametrize("crm", ADAPTERS)
def test_each_resource_takes_an_unchanged_declaration_as_validation_leaves_it(crm: str) -> None:
    """For every provider class: fields at their model's defaults, as state holds them."""
    for cls in provider_classes(crm):
        news: dict[str, Any] = dict.fromkeys(cls.api_fields())
        news.update(name="Lead", ordered_by_set=True)
        news.update({field: "Sales" for field in ("board", "pipeline") if field in news})
        dumped = cls.inputs_model().model_validate(news).model_dump()
        checked = {k: v for k, v in dumped.items() if not (k in CONTROL_FIELDS and not v)}
        unchanged = as_last_checked(cls.input_names(), as_state_holds(checked), news)
        assert unchanged is not None, cls
        assert unchanged == checked, cls


@pytest.mark.parametrize(
    "change",
    [{"name": ""}, {"color": "blue"}, {"order": 2.5}, {"adopt": "yes"}],
    ids=["blank-name", "colour", "order", "adopt"],
)
def test_any_field_that_changed_is_validated(change: dict[str, Any]) -> None:
    olds = {"name": "Lead", "color": "#abcdef", "order": 3.0, "ordered_by_set": True}
    result = OutreachStageProvider().check(olds, {**olds, **change})
    assert [failure.property for failure in result.failures] == list(change)


def test_no_state_is_never_taken_as_unchanged() -> None:
    assert as_last_checked(("name",), {}, {"name": "Lead"}) is None


def test_a_write_of_inputs_todays_rules_refuse_names_the_field() -> None:
    """State an older release wrote with looser rules, taken unchanged by check: the write
    refuses it in one line, before any request."""
    with pytest.raises(InvalidInputs) as refused:
        OutreachStageProvider().validated_inputs({"name": "Lead", "color": "#5951ffzz"})
    assert str(refused.value).startswith(
        "color: must be a hex colour such as #5951ff, got '#5951ffzz' (kept from state"
    )
