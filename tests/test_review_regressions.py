"""Edge cases found in review: odd names, older look-alikes, malformed tokens, token chains."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_stages import ConfigError, ServerError
from pulumi_stages.capsule.api import CapsuleDialect
from pulumi_stages.core.account import Account
from pulumi_stages.core.backend import Remote
from pulumi_stages.core.config import resolve_endpoint
from pulumi_stages.core.http import ApiClient, Endpoint
from pulumi_stages.core.listing import Listing
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.outreach.api import OutreachDialect, OutreachStages
from pulumi_stages.outreach.stage import SETTINGS, OutreachStageProvider
from tests.test_oauth import CLIENT_ID, CLIENT_SECRET, stages_api


def configured(outreach: EmulatorServer, token: str) -> OutreachStageProvider:
    provider = OutreachStageProvider()
    raw = {"outreach:accessToken": token, "outreach:baseUrl": outreach.base_url}
    provider.configure(ConfigureRequest(Config(raw, project_name="p")))
    return provider


@pytest.mark.parametrize("name", ["Closed, Won", "a..z", "Lead"])
def test_find_matches_names_exactly_even_with_filter_syntax(
    outreach: EmulatorServer, token: str, name: str
) -> None:
    for other in ("b", "Closed", "Lead (old)", name):
        outreach.service.state.create({"name": other})  # type: ignore[attr-defined]
    client = ApiClient(Endpoint("Outreach", outreach.base_url, token), OutreachDialect())
    found = OutreachStages(client).find({"name": name})
    assert [remote.outs["name"] for remote in found] == [name]


def test_create_recovery_never_claims_an_older_look_alike(
    outreach: EmulatorServer, token: str
) -> None:
    older = outreach.service.state.create({"name": "Lead", "color": "#111111"})  # type: ignore[attr-defined]
    older.created_at = "2020-01-01T00:00:00.000Z"
    outreach.faults.add(Fault(FaultKind.DROP, method="POST"))
    created = configured(outreach, token).create({"name": "Lead", "color": "#111111"})
    assert created.id != str(older.id)
    assert len(outreach.service.state.listing()) == 2  # type: ignore[attr-defined]


def test_token_with_control_characters_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as failure:
        resolve_endpoint(SETTINGS, None, {"OUTREACH_ACCESS_TOKEN": "abc\ndef-secret"})
    assert "def-secret" not in str(failure.value)


def test_two_refresh_chains_of_one_client_keep_separate_cache_files(
    outreach: EmulatorServer, tmp_path: Path
) -> None:
    oauth = outreach.service.oauth  # type: ignore[attr-defined]
    oauth.grant_interval = 0.0
    oauth.add_access_token("at-expired", lifetime=-1)
    for _ in range(2):
        refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET)
        stages_api(outreach, "at-expired", refresh, tmp_path).read("1")
    assert len(list(tmp_path.iterdir())) == 2


def test_token_requests_spend_no_api_budget_and_take_no_faults(
    outreach: EmulatorServer, tmp_path: Path
) -> None:
    oauth = outreach.service.oauth  # type: ignore[attr-defined]
    oauth.grant_interval = 0.0
    oauth.add_access_token("at-expired", lifetime=-1)
    outreach.budget.configure(limit=10, window_seconds=3600)  # a fresh window: 10 left
    outreach.faults.add(Fault(FaultKind.STATUS, status=500, method="POST"))
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET)
    api = stages_api(outreach, "at-expired", refresh, tmp_path)

    assert api.read("1") is None  # 401, one token request, then the retry's 404
    assert outreach.log.counts() == {"GET /api/v2/stages/{id}": 2, "POST /oauth/token": 1}
    assert outreach.faults.pending() == 1  # the queued POST fault never hit the token request
    # The budget as the API reports it, read with one more request: of the three before it,
    # the 401 (an expired token is no account's request) and the token request spent nothing,
    # so the retried GET and this one are the only two spent.
    remaining = api.client.request("GET", "/stages").headers["X-RateLimit-Remaining"]
    assert int(remaining) == 10 - 2
    # Budgets are per user; a token request has none, so it would spend the budget the emulator
    # keys a request without a token to, which must still be whole.
    tokenless = outreach.service.rate_key(make_mocked_request("POST", "/oauth/token"))
    assert outreach.budget.peek(tokenless).remaining == 10
    assert outreach.budget.refused == 0


def test_a_failing_listing_falls_back_to_direct_reads() -> None:
    listing = Listing()
    calls: list[int] = []

    def failing_listing() -> list[Remote]:
        calls.append(1)
        raise ServerError("Outreach", "GET", "/stages", 500, "Something went wrong.")

    answers = [listing.lookup(str(i), failing_listing) for i in range(4)]
    assert answers == [None, None, None, None]  # None: the caller reads directly
    assert len(calls) == 2  # reads 3 and 4 tried the listing; neither raised


def test_listings_are_kept_per_kind_of_object() -> None:
    account = Account(Endpoint("Capsule", "http://127.0.0.1:1/api/v2", "t"), CapsuleDialect())
    stage, board = Remote("7", {"kind": "stage"}), Remote("7", {"kind": "board"})
    stages, boards = account.listing("stage"), account.listing("board")
    for _ in range(2):  # the direct reads of each burst
        stages.lookup("7", lambda: [stage])
        boards.lookup("7", lambda: [board])
    assert stages.lookup("7", lambda: [stage]) is stage
    assert boards.lookup("7", lambda: [board]) is board
