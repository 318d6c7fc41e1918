"""Expiring Outreach access tokens: refreshed from a rotating refresh token kept sealed, 0600."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages import Forbidden, Unauthorized
from pulumi_stages.core.http import ApiClient, Endpoint
from pulumi_stages.core.memory import FileStore, Sealer
from pulumi_stages.core.oauth import RefreshCredentials, TokenStore
from pulumi_stages.core.refreshing_auth import RefreshingAuth
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.outreach import DEFAULT_REDIRECT_URI
from pulumi_stages.outreach.api import OutreachDialect, OutreachStages
from tests.engine import PASSPHRASE, StackHarness, stages

CLIENT_ID, CLIENT_SECRET = "client-1", "client-secret-xyz"
REDIRECT_URI = DEFAULT_REDIRECT_URI
"""The redirect URI the emulator's refresh tokens are registered with unless a test says."""


@pytest.fixture(autouse=True)
def passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack's passphrase, which seals the rotated tokens, as every `pulumi` command has it."""
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)


def folder_tokens(folder: Path) -> TokenStore:
    """Tokens sealed with the test passphrase in `folder` itself."""
    return TokenStore(FileStore(folder, {"tokens": folder}), Sealer(PASSPHRASE))


def opened(entry_file: Path) -> dict[str, Any]:
    """A sealed chain entry, opened with the test passphrase."""
    plain = Sealer(PASSPHRASE).open(entry_file.read_bytes(), entry_file.stem)
    assert plain is not None, "not sealed with the stack's passphrase"
    entry: dict[str, Any] = json.loads(plain)
    return entry


@pytest.fixture
def refresh_token(outreach: EmulatorServer) -> str:
    oauth = outreach.service.oauth  # type: ignore[attr-defined]
    oauth.grant_interval = 0.0
    return str(oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI))


def stages_api(
    outreach: EmulatorServer,
    access: str,
    refresh: str,
    cache: Path,
    redirect_uri: str | None = REDIRECT_URI,
) -> OutreachStages:
    credentials = RefreshCredentials(
        f"{outreach.root_url}/oauth/token", CLIENT_ID, CLIENT_SECRET, refresh, redirect_uri
    )
    client = ApiClient(
        Endpoint("Outreach", outreach.base_url, access, credentials), OutreachDialect()
    )
    # The same auth with the test's cache folder, so that it also starts from what that holds.
    client._http.auth = RefreshingAuth("Outreach", access, credentials, folder_tokens(cache))
    return OutreachStages(client)


def test_expired_token_is_refreshed_and_the_rotated_token_cached(
    outreach: EmulatorServer, refresh_token: str, tmp_path: Path
) -> None:
    outreach.service.oauth.add_access_token("at-expired", lifetime=-1)  # type: ignore[attr-defined]
    api = stages_api(outreach, "at-expired", refresh_token, tmp_path)
    assert api.read("1") is None
    assert outreach.log.counts() == {
        "GET /api/v2/stages/{id}": 2,
        "POST /oauth/token": 1,
    }
    [cache_file] = tmp_path.iterdir()
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    cached = opened(cache_file)
    assert cached["refresh_token"] != refresh_token
    for secret in (CLIENT_SECRET, cached["refresh_token"], cached["access_token"]):
        assert secret not in cache_file.read_text()  # sealed at rest


def test_next_run_continues_from_the_rotated_refresh_token(
    outreach: EmulatorServer, refresh_token: str, tmp_path: Path
) -> None:
    outreach.service.oauth.add_access_token("at-expired", lifetime=-1)  # type: ignore[attr-defined]
    stages_api(outreach, "at-expired", refresh_token, tmp_path).read("1")
    first_access = opened(next(tmp_path.iterdir()))["access_token"]
    outreach.service.oauth.revoke_access_token(first_access)  # type: ignore[attr-defined]
    # A new process: same configured (now invalidated) refresh token, same cache.
    assert stages_api(outreach, "at-expired", refresh_token, tmp_path).read("1") is None
    assert outreach.log.count("POST") == 2


def test_a_token_another_process_saved_but_the_api_refuses_costs_one_more_grant(
    outreach: EmulatorServer, refresh_token: str, tmp_path: Path
) -> None:
    outreach.service.oauth.add_access_token("at-expired", lifetime=-1)  # type: ignore[attr-defined]
    late = stages_api(outreach, "at-expired", refresh_token, tmp_path)  # started before the other
    stages_api(outreach, "at-expired", refresh_token, tmp_path).read("1")  # the other refreshes
    saved = opened(next(tmp_path.iterdir()))["access_token"]
    outreach.service.oauth.revoke_access_token(saved)  # type: ignore[attr-defined]
    # `late` takes the saved token instead of spending a grant; refused, it spends one after all.
    assert late.read("1") is None
    assert outreach.log.count("POST") == 2
    assert opened(next(tmp_path.iterdir()))["access_token"] != saved


def test_refused_refresh_is_one_line(outreach: EmulatorServer, tmp_path: Path) -> None:
    api = stages_api(outreach, "", "rt-unknown", tmp_path)
    with pytest.raises(Unauthorized) as failure:
        api.read("1")
    assert str(failure.value) == (
        "Outreach rejected POST /oauth/token: could not refresh the access token "
        "(invalid_grant: The refresh token is invalid, expired or revoked.) (400); "
        "authorize again and set the new refresh token in stack config"
    )
    assert "rt-unknown" not in str(failure.value)


def test_a_refresh_without_the_registered_redirect_uri_is_refused(
    outreach: EmulatorServer, refresh_token: str, tmp_path: Path
) -> None:
    # [doc] Outreach's refresh request carries redirect_uri (developers.outreach.io/api/
    # getting-started); a provider that leaves it out must fail here before it fails in production.
    outreach.service.oauth.add_access_token("at-expired", lifetime=-1)  # type: ignore[attr-defined]
    for sent, error in ((None, "invalid_request"), ("https://elsewhere/cb", "invalid_grant")):
        api = stages_api(outreach, "at-expired", refresh_token, tmp_path, redirect_uri=sent)
        with pytest.raises(Unauthorized) as failure:
            api.read("1")
        assert f"({error}: " in str(failure.value)
    assert stages_api(outreach, "at-expired", refresh_token, tmp_path).read("1") is None
    grants = [str(e.body) for e in outreach.log.entries() if e.route == "/oauth/token"]
    assert ["redirect_uri=" in form for form in grants] == [False, True, True]


def test_missing_scope_names_the_scope(outreach: EmulatorServer, tmp_path: Path) -> None:
    outreach.service.oauth.add_access_token("at-read-only", frozenset({"stages.read"}))  # type: ignore[attr-defined]
    client = ApiClient(Endpoint("Outreach", outreach.base_url, "at-read-only"), OutreachDialect())
    with pytest.raises(Forbidden) as failure:
        OutreachStages(client).create({"name": "Lead"})
    # [doc] getting-started#authorization: the id and this wording
    assert str(failure.value).startswith(
        "Outreach rejected POST /stages: Your authorization does not include the required "
        "scope 'stages.write'. (403 unauthorizedOauthScope)"
    )
    assert outreach.service.state.listing() == []  # type: ignore[attr-defined]


@pytest.mark.e2e
def test_token_expiring_between_runs_is_refreshed_through_the_engine(
    stack: StackHarness, token: str, refresh_token: str
) -> None:
    stack.stack.set_all_config(  # one `pulumi config set-all` run, not four `config set`s
        {
            "outreach:refreshToken": auto.ConfigValue(refresh_token, secret=True),
            "outreach:clientId": auto.ConfigValue(CLIENT_ID, secret=True),
            "outreach:clientSecret": auto.ConfigValue(CLIENT_SECRET, secret=True),
            "outreach:redirectUri": auto.ConfigValue(REDIRECT_URI),
        }
    )
    stack.declared = stages("Lead", "Won")
    stack.up()
    oauth = stack.emulator.service.oauth  # type: ignore[attr-defined]
    oauth.revoke_access_token(token)  # the configured token expires
    stack.declared[0].name = "Lead (renamed)"
    stack.up()
    assert [e.route for e in stack.emulator.log.entries()].count("/oauth/token") == 1

    for access in list(oauth.tokens):  # the minted token expires too: the rotated one must work
        oauth.revoke_access_token(access)
    stack.declared[1].name = "Won (renamed)"
    stack.up()
    assert [e.route for e in stack.emulator.log.entries()].count("/oauth/token") == 1
    held = stack.emulator.service.state.listing()  # type: ignore[attr-defined]
    assert sorted(s.name for s in held) == ["Lead (renamed)", "Won (renamed)"]
    exported = stack.exported_text()
    for secret in (token, refresh_token, CLIENT_SECRET):
        assert secret not in exported
    stack.assert_no_changes()


@pytest.mark.e2e
def test_missing_scope_fails_the_update_in_one_line_and_keeps_state(
    stack: StackHarness, token: str
) -> None:
    stack.declared = stages("Lead")
    stack.up()
    stack.emulator.service.oauth.add_access_token("at-read-only", frozenset({"stages.read"}))  # type: ignore[attr-defined]
    stack.set_token("at-read-only")
    stack.declared[0].name = "Renamed"
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    assert "does not include the required scope 'stages.write'" in str(failure.value)
    assert "Traceback" not in str(failure.value)
    assert stack.state_outputs()["stage-0"]["name"] == "Lead"
