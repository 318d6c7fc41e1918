"""The generic provider's check/diff rules and credential handling, without the engine."""

from __future__ import annotations

import base64

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_stages import ConfigError
from pulumi_stages.core import adoption
from pulumi_stages.core.backend import Remote
from pulumi_stages.core.config import resolve_endpoint
from pulumi_stages.core.duplicates import RESOURCE_KEY
from pulumi_stages.core.memory import Unreachable
from pulumi_stages.core.resource import UNKNOWN
from pulumi_stages.core.run import THIS_RUN
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.stage import SETTINGS, OutreachStageProvider


def configured(base_url: str, token: str) -> OutreachStageProvider:
    """A provider configured as the engine configures it: a new resource's check reads the
    account (the duplicate guard is never skipped), a change needs a token."""
    provider = OutreachStageProvider()
    config = {"outreach:accessToken": token, "outreach:baseUrl": base_url}
    provider.configure(ConfigureRequest(Config(config, project_name="p")))
    return provider


def failures(news: dict[str, object]) -> dict[str, str]:
    result = OutreachStageProvider().check({}, news)
    return {f.property: f.reason for f in result.failures}


def test_check_reports_every_bad_field_by_name() -> None:
    assert failures({"name": "", "color": "blue", "order": 2.5}) == {
        "name": "name: must not be blank",
        "color": "color: must be a hex colour such as #5951ff, got 'blue'",
        "order": "order: must be a whole number, got 2.5",
    }


def test_check_accepts_pulumi_floats_as_whole_numbers_and_normalises(
    outreach: EmulatorServer, token: str
) -> None:
    provider = configured(outreach.base_url, token)
    result = provider.check({}, {"name": "Lead", "color": "#ABCDEF", "order": 3.0})
    assert result.failures == []
    assert result.inputs == {
        "name": "Lead",
        "color": "#abcdef",
        "order": 3,
    }
    assert isinstance(result.inputs["order"], int)


def test_check_drops_output_only_properties(outreach: EmulatorServer, token: str) -> None:
    result = configured(outreach.base_url, token).check({}, {"name": "Lead", "stage_id": None})
    assert "stage_id" not in result.inputs


def test_check_passes_unknown_values_through_during_preview() -> None:
    result = OutreachStageProvider().check({}, {"name": UNKNOWN, "color": "#000000"})
    assert result.failures == []
    assert result.inputs["name"] == UNKNOWN


def test_check_refuses_a_boolean_order() -> None:
    assert failures({"name": "Lead", "order": True}) == {
        "order": "order: must be a whole number, got True"
    }


def test_diff_ignores_fields_left_to_the_api() -> None:
    olds = {"name": "Lead", "color": "#111111", "order": 4, "stage_id": 1}
    diff = OutreachStageProvider().diff("1", olds, {"name": "Lead", "color": None, "order": None})
    assert diff.changes is False


def test_diff_names_no_replacement_for_outreach(outreach: EmulatorServer, token: str) -> None:
    olds = {"name": "Lead", "color": "#111111", "order": 4}
    provider = configured(outreach.base_url, token)
    diff = provider.diff("1", olds, {"name": "Won", "color": "#111111", "order": 5})
    assert diff.changes is True
    assert diff.replaces == []
    assert outreach.log.writes() == []  # a planned change reads the account once, no more
    assert outreach.log.count("GET") == 1


def test_configured_provider_pickles_without_credentials() -> None:
    provider = OutreachStageProvider()
    secret = "tok-never-pickled-123"
    provider.configure(ConfigureRequest(Config({"outreach:accessToken": secret}, project_name="p")))
    assert resolve_endpoint(SETTINGS, provider._config).token == secret
    blob = base64.b64decode(serialize_provider(provider))
    assert secret.encode() not in blob
    assert OutreachStageProvider.serialize_as_secret_always is False


def test_stack_config_wins_over_environment() -> None:
    config = Config(
        {"outreach:accessToken": "from-config", "outreach:baseUrl": "http://127.0.0.1:1/api/v2"},
        project_name="p",
    )
    environ = {"OUTREACH_ACCESS_TOKEN": "from-env", "OUTREACH_BASE_URL": "http://127.0.0.1:2"}
    endpoint = resolve_endpoint(SETTINGS, config, environ)
    assert (endpoint.token, endpoint.base_url) == ("from-config", "http://127.0.0.1:1/api/v2")


def test_environment_is_used_when_stack_config_is_silent() -> None:
    environ = {"OUTREACH_ACCESS_TOKEN": "from-env", "OUTREACH_BASE_URL": "http://127.0.0.1:2/"}
    endpoint = resolve_endpoint(SETTINGS, Config({}, project_name="p"), environ)
    assert (endpoint.token, endpoint.base_url) == ("from-env", "http://127.0.0.1:2")


def test_missing_token_says_how_to_set_it() -> None:
    with pytest.raises(ConfigError) as failure:
        resolve_endpoint(SETTINGS, None, {})
    assert "pulumi config set --secret outreach:accessToken" in str(failure.value)
    assert "OUTREACH_ACCESS_TOKEN" in str(failure.value)


def test_malformed_base_url_is_refused() -> None:
    with pytest.raises(ConfigError):
        resolve_endpoint(SETTINGS, None, {"OUTREACH_ACCESS_TOKEN": "t", "OUTREACH_BASE_URL": "x"})


@pytest.mark.parametrize("replacement", [False, True], ids=["new", "replacement"])
def test_a_check_without_olds_refuses_when_the_memory_cannot_be_opened(
    monkeypatch: pytest.MonkeyPatch, replacement: bool
) -> None:
    """A create journals its intent first, a replacement's create too (its re-check comes with
    no olds, after the resource was checked with them): an unopenable memory fails the check,
    where the create would otherwise refuse after a green preview. No account is read."""
    provider = OutreachStageProvider()
    monkeypatch.setattr(
        provider, "memory", lambda: Unreachable("s3://team-state", "the AWS SDK is not installed")
    )
    resource = f"unit-{replacement}-{id(provider)}"
    news = {"name": f"Lead {resource}", "color": "#000000", RESOURCE_KEY: resource}
    if replacement:
        THIS_RUN.holds(resource, provider.kind, {"name": news["name"]})
        assert THIS_RUN.replacing(resource)
    with pytest.raises(ConfigError, match=r"s3://team-state cannot be used \(the AWS SDK"):
        provider.check({}, news)


def test_adoption_matches_on_every_identity_field_name_first() -> None:
    """The name is compared first and the rest after: an object named alike on another board
    is no match, a missing field is no match, and no identity at all matches everything."""
    listed = [
        Remote("1", {"name": "Won", "board": 7}),
        Remote("2", {"name": "Won", "board": 8}),
        Remote("3", {"name": "Lost", "board": 7}),
        Remote("4", {"name": "Won"}),
    ]
    assert [r.id for r in adoption.matching(listed, {"name": "Won", "board": 7})] == ["1"]
    assert [r.id for r in adoption.matching(listed, {"name": "Won"})] == ["1", "2", "4"]
    assert [r.id for r in adoption.matching(listed, {"board": 7})] == ["1", "3"]
    assert adoption.matching(listed, {"name": "Open"}) == []
    assert adoption.matching(listed, {}) == listed
