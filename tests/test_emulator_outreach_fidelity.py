"""The Outreach emulator answers as the vendor documents: content type on every request, the
documented filters only, cursors that survive writes, error ids, Retry-After timestamps, per-user
budgets, and refresh grants that need the registered redirect URI.

Sources: developers.outreach.io/api/getting-started (auth, rate limiting, maintenance),
/api/making-requests (content negotiation, filters, pagination), the `stage` OpenAPI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind

JSON_API = "application/vnd.api+json"
RETRY_AFTER_FORMAT = "%Y-%m-%dT%H:%M:%S"


@pytest.fixture
def api(outreach: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": JSON_API}
    with httpx.Client(base_url=outreach.base_url, headers=headers) as client:
        yield client


def state(outreach: EmulatorServer) -> Any:
    return outreach.service.state  # type: ignore[attr-defined]


def oauth(outreach: EmulatorServer) -> Any:
    return outreach.service.oauth  # type: ignore[attr-defined]


def ids(document: dict[str, Any]) -> list[int]:
    return [resource["id"] for resource in document["data"]]


def walk(api: httpx.Client, url: str, between: Any = None, **params: str) -> list[int]:
    """Every id over the `next` links, calling `between()` after each page."""
    seen: list[int] = []
    document = api.get(url, params=params or None).json()
    while True:
        seen += ids(document)
        if between is not None:
            between()
        following = document["links"].get("next")
        if not following:
            return seen
        document = api.get(following).json()


def epoch(text: str) -> int:
    return int(datetime.strptime(text, RETRY_AFTER_FORMAT).replace(tzinfo=UTC).timestamp())


# Content type: [doc] "All requests must specify the JSON API media type" (making-requests);
# [seen] singer-io/tap-outreach, run by Stitch against the real API every day, sends no
# Content-Type on its GETs, so a bodiless request without one is served.


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_bodiless_request_without_a_content_type_is_served(
    outreach: EmulatorServer, token: str, method: str
) -> None:
    stage = state(outreach).create({"name": "Lead"})
    response = httpx.request(
        method,
        f"{outreach.base_url}/stages/{stage.id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == (200 if method == "GET" else 204), response.text
    assert len(state(outreach).listing()) == (1 if method == "GET" else 0)


@pytest.mark.parametrize(
    ("method", "headers", "body"),
    [
        ("POST", {}, b'{"data": {"type": "stage", "attributes": {"name": "Lead"}}}'),
        ("POST", {"Content-Type": "application/json"}, b'{"data": {}}'),
        ("GET", {"Content-Type": "application/json"}, None),  # guess: a wrong type still fails
    ],
)
def test_a_body_or_a_wrong_content_type_still_needs_the_json_api_type(
    outreach: EmulatorServer, token: str, method: str, headers: dict[str, str], body: Any
) -> None:
    response = httpx.request(
        method,
        f"{outreach.base_url}/stages",
        headers={"Authorization": f"Bearer {token}", **headers},
        content=body,
    )
    assert response.status_code == 415
    assert response.json()["errors"][0] == {
        "id": "unsupportedMediaType",
        "title": "Unsupported Media Type",
        "details": "Expected Content-Type header to be 'application/vnd.api+json'.",
    }
    assert state(outreach).listing() == []


# Filters: [doc] name, order, createdAt, updatedAt (OpenAPI badges), id, prospects' id.


def test_only_documented_filters_and_parameters_are_accepted(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    lead = state(outreach).create({"name": "Lead", "color": "#5951ff"})
    state(outreach).create({"name": "Won"})
    for params in ({"filter[color]": "#5951ff"}, {"filter[creator][id]": "1"}, {"colour": "x"}):
        refused = api.get("/stages", params=params)
        assert refused.status_code == 400, params
        assert refused.json()["errors"][0]["id"] == "badRequest"
    placed = httpx.put(
        f"{outreach.root_url}/_emulator/outreach/stages/{lead.id}/prospects", json={"ids": [7]}
    )
    assert placed.status_code == 204
    assert ids(api.get("/stages", params={"filter[prospects][id]": "7,8"}).json()) == [lead.id]


def test_a_stage_with_no_order_never_matches_an_order_range(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    ordered = state(outreach).create({"name": "Ordered", "order": 0})
    loose = state(outreach).create({"name": "Loose"})
    for wanted in ("neginf..inf", "-inf..0", "0,1"):
        assert ids(api.get("/stages", params={"filter[order]": wanted}).json()) == [ordered.id]
    assert ids(api.get("/stages", params={"filter[order]": "__null__"}).json()) == [loose.id]


def test_the_new_filter_syntax_takes_commas_and_ranges_literally(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    won = state(outreach).create({"name": "Closed, Won", "order": 5})
    state(outreach).create({"name": "Closed", "order": 6})
    lost = state(outreach).create({"name": "a..z", "order": 7})
    literal = api.get("/stages", params={"newFilterSyntax": "true", "filter[name]": "Closed, Won"})
    assert ids(literal.json()) == [won.id]
    listed = api.get(
        "/stages",
        params=[("newFilterSyntax", "true"), ("filter[name][]", "a..z"), ("filter[name][]", "x")],
    )
    assert ids(listed.json()) == [lost.id]
    ranged = api.get(
        "/stages",
        params={"newFilterSyntax": "true", "filter[order][gt]": "5", "filter[order][lte]": "7"},
    )
    assert len(ranged.json()["data"]) == 2


# Paging: [doc] opaque cursors in links.next/prev, default 50, page[size].


def test_cursor_pages_survive_writes_between_pages(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    account = state(outreach)
    made = [account.create({"name": f"S{i}", "order": i}).id for i in range(7)]
    added: list[int] = []

    def write_once(victim: int) -> Any:
        def write() -> None:
            if len(added) < len(made) and victim in account.stages:
                account.delete(victim)  # a stage already seen goes
                account.update(made[5], {"name": "renamed"})  # one not yet seen changes
                added.append(account.create({"name": "new", "order": 99}).id)  # one comes

        return write

    by_id = walk(api, "/stages", write_once(made[0]), **{"page[size]": "2"})
    assert by_id == [*made, *added]  # nothing skipped, nothing repeated
    by_order = walk(api, "/stages", write_once(made[6]), sort="-order", **{"page[size]": "3"})
    assert len(by_order) == len(set(by_order))
    assert set(made[1:6]) | {added[0]} <= set(by_order)


def test_prev_links_lead_back_page_by_page(outreach: EmulatorServer, api: httpx.Client) -> None:
    for i in range(5):
        state(outreach).create({"name": f"S{i}"})
    first = api.get("/stages", params={"page[size]": "2"}).json()
    second = api.get(first["links"]["next"]).json()
    third = api.get(second["links"]["next"]).json()
    assert ids(third) == [5] and "next" not in third["links"]
    assert ids(api.get(third["links"]["prev"]).json()) == ids(second)
    assert ids(api.get(second["links"]["prev"]).json()) == ids(first)
    assert "prev" not in first["links"]


def test_a_forged_or_misused_cursor_is_refused(outreach: EmulatorServer, api: httpx.Client) -> None:
    for i in range(3):
        state(outreach).create({"name": f"S{i}", "order": i})
    following = httpx.URL(api.get("/stages", params={"page[size]": "1"}).json()["links"]["next"])
    cursor = following.params["page[after]"]
    body, mac = cursor.split(".")
    forged = {
        "tampered": f"{body[:-2]}AA.{mac}",
        "unsigned": body,
        "garbage": "not-a-cursor",
    }
    for what, value in forged.items():
        refused = api.get("/stages", params={"page[size]": "1", "page[after]": value})
        assert refused.status_code == 400, what
    other_sort = api.get(
        "/stages", params={"page[size]": "1", "sort": "order", "page[after]": cursor}
    )
    assert other_sort.status_code == 400
    assert "another sort order" in other_sort.json()["errors"][0]["detail"]


@pytest.mark.parametrize("size", ["0", "1001", "ten"])
def test_an_out_of_range_page_size_is_refused(api: httpx.Client, size: str) -> None:
    # [doc] page size 50 by default, at most 1,000 (making-requests); [guess] 400 beyond it
    refused = api.get("/stages", params={"page[size]": size})
    assert refused.status_code == 400
    assert "page[size]" in refused.json()["errors"][0]["detail"]
    assert api.get("/stages", params={"page[size]": "1000"}).status_code == 200


# Errors: [doc] 403 ids unauthorizedOauthScope and unauthorizedRequest; [guess] the 401 id.


def test_401_and_the_two_documented_403s_have_their_own_ids(
    outreach: EmulatorServer, token: str
) -> None:
    oauth(outreach).add_access_token("at-read", frozenset({"stages.read"}))
    oauth(outreach).add_access_token("at-no-delete", forbidden_methods=frozenset({"DELETE"}))
    stage = state(outreach).create({"name": "Lead"})
    url = f"{outreach.base_url}/stages/{stage.id}"

    def call(method: str, bearer: str) -> httpx.Response:
        return httpx.request(
            method, url, headers={"Authorization": f"Bearer {bearer}", "Content-Type": JSON_API}
        )

    missing = call("GET", "tok-unknown")
    assert (missing.status_code, missing.json()["errors"][0]["id"]) == (401, "unauthorized")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    scope = call("DELETE", "at-read").json()["errors"][0]
    assert scope["id"] == "unauthorizedOauthScope"
    assert (
        scope["detail"] == "Your authorization does not include the required scope 'stages.delete'."
    )
    governed = call("DELETE", "at-no-delete")
    assert (governed.status_code, governed.json()["errors"][0]["id"]) == (
        403,
        "unauthorizedRequest",
    )
    assert call("DELETE", token).status_code == 204


def test_unknown_routes_and_methods_answer_json_api(api: httpx.Client) -> None:
    missing = api.get("/mailings")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith(JSON_API)
    assert missing.json()["errors"][0]["id"] == "resourceNotFound"
    wrong_method = api.put("/stages/1", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["errors"][0]["id"] == "methodNotAllowed"
    assert "PATCH" in wrong_method.headers["Allow"]


# Rate limits and Retry-After: [doc] per user; 429 names the limit and the time to try again;
# Retry-After is a timestamp (503: end of maintenance; 429: the reset time).


def test_the_budgets_own_429_names_the_configured_limit_and_the_real_reset_time(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    outreach.budget.configure(limit=2, window_seconds=30)
    assert api.get("/stages").status_code == 200
    assert api.get("/stages").status_code == 200
    limited = api.get("/stages")
    assert limited.status_code == 429
    reset = limited.headers["X-RateLimit-Reset"]
    retry_after = limited.headers["Retry-After"]
    assert epoch(retry_after) == int(reset)
    assert 0 < int(reset) - time.time() <= 31
    assert limited.json()["errors"][0]["detail"] == (
        f"You have exceeded your permitted rate limit of 2; please try again at {retry_after}."
    )


@pytest.mark.parametrize("status", [503, 429])
def test_an_injected_fault_sends_retry_after_as_a_timestamp(
    outreach: EmulatorServer, api: httpx.Client, status: int
) -> None:
    outreach.faults.add(Fault(FaultKind.STATUS, status=status, retry_after=30))
    outreach.faults.add(Fault(FaultKind.STATUS, status=status))
    timed = api.get("/stages")
    assert timed.status_code == status
    assert 28 <= epoch(timed.headers["Retry-After"]) - time.time() <= 31
    assert timed.headers["Retry-After"] in timed.json()["errors"][0]["detail"]
    bare = api.get("/stages")
    assert bare.status_code == status and "Retry-After" not in bare.headers


def test_each_user_spends_a_budget_of_their_own(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    oauth(outreach).add_access_token("at-same-user")  # the default user, like the fixture token
    oauth(outreach).add_access_token("at-user-2", user_id=2)
    outreach.budget.configure(limit=1, window_seconds=60)

    def status(bearer: str | None = None) -> int:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return api.get("/stages", headers=headers).status_code

    assert status() == 200
    assert status("at-same-user") == 429  # one user, two tokens: one budget
    assert status("at-user-2") == 200
    assert outreach.budget.refused == 1


# The token endpoint: inside the fault injector; [doc] the refresh request carries redirect_uri.


def grant(outreach: EmulatorServer, refresh_token: str, **extra: str) -> httpx.Response:
    form = {
        "client_id": "client-1",
        "client_secret": "secret-1",
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        **extra,
    }
    return httpx.post(f"{outreach.root_url}/oauth/token", data=form)


def test_the_token_endpoint_takes_the_faults_that_name_it(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    refresh = oauth(outreach).add_refresh_token("client-1", "secret-1", redirect_uri="https://a/cb")
    outreach.faults.add(Fault(FaultKind.STATUS, status=503, path="/oauth/token", retry_after=5))
    outreach.faults.add(Fault(FaultKind.STATUS, status=500, method="POST"))  # API routes only
    down = grant(outreach, refresh, redirect_uri="https://a/cb")
    assert down.status_code == 503 and "Retry-After" in down.headers
    assert grant(outreach, refresh, redirect_uri="https://a/cb").status_code == 200
    assert outreach.faults.pending() == 1
    posted = api.post("/stages", json={"data": {"type": "stage", "attributes": {"name": "x"}}})
    assert posted.status_code == 500


def test_a_refresh_grant_needs_the_registered_redirect_uri(outreach: EmulatorServer) -> None:
    refresh = oauth(outreach).add_refresh_token("client-1", "secret-1", redirect_uri="https://a/cb")
    missing = grant(outreach, refresh)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    wrong = grant(outreach, refresh, redirect_uri="https://b/cb")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    granted = grant(outreach, refresh, redirect_uri="https://a/cb")  # the token was not spent
    assert granted.status_code == 200
    assert granted.json()["refresh_token"] != refresh


def test_minting_is_limited_per_user(outreach: EmulatorServer) -> None:
    mine = oauth(outreach).add_refresh_token("client-1", "secret-1", redirect_uri="https://a/cb")
    theirs = oauth(outreach).add_refresh_token(
        "client-1", "secret-1", redirect_uri="https://a/cb", user_id=2
    )
    first = grant(outreach, mine, redirect_uri="https://a/cb")
    assert first.status_code == 200
    assert grant(outreach, theirs, redirect_uri="https://a/cb").status_code == 200
    again = grant(outreach, first.json()["refresh_token"], redirect_uri="https://a/cb")
    assert again.status_code == 429  # [doc] one access token per user per 60 seconds


def test_live_stages_name_the_account_s_stages(outreach: EmulatorServer, api: httpx.Client) -> None:
    created = api.post("/stages", json={"data": {"type": "stage", "attributes": {"name": "Lead"}}})
    assert created.json()["data"]["relationships"]["creator"]["data"]["id"] == 1
    live = httpx.get(f"{outreach.root_url}/_emulator/live-stages").json()
    id_ = str(created.json()["data"]["id"])
    assert live == [["Lead", id_]] and outreach.service.live_stages() == [("Lead", id_)]
