"""The pieces every adapter shares from core: paging, containers found by name per account,
auth hints from the adapter's settings, and an adapter's own state kept per account. Requests go
to a handler in the test (an httpx transport): nothing leaves the process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.capsule.api import SETTINGS as CAPSULE
from pulumi_stages.capsule.api import CapsuleBoards, CapsuleDialect
from pulumi_stages.core.account import Account
from pulumi_stages.core.contract import (
    ApiClient,
    ContainerKind,
    Remote,
    after_cursor,
    auth_hint,
    body_link,
    container_id,
    follow_cursor,
    follow_pages,
    link_header,
)
from pulumi_stages.core.errors import ContainerNotFound, ForeignLink
from pulumi_stages.core.http import Endpoint

BASE = "http://127.0.0.1:9/api"


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> ApiClient:
    """A client whose requests the handler answers."""
    endpoint = Endpoint("Capsule", BASE, "token")
    return ApiClient(endpoint, CapsuleDialect(), transport=httpx.MockTransport(handler))


def test_pages_follow_the_link_header_and_a_filter_is_sent_again_with_each_page() -> None:
    sent: list[tuple[str, str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, str(request.url), json.loads(request.content or b"null")))
        if "page=2" in str(request.url):
            return httpx.Response(200, json={"kases": [{"id": 3}]})
        following = f'<{BASE}/kases/filters/results?page=2>; rel="next"'
        return httpx.Response(
            200, json={"kases": [{"id": 1}, {"id": 2}]}, headers={"Link": following}
        )

    body = {"filter": {"conditions": []}}
    pages = follow_pages(
        client_for(answer),
        "/kases/filters/results",
        link_header,
        params={"perPage": 2},
        method="POST",
        json=body,
        idempotent=True,
    )
    assert [item["id"] for page in pages for item in page.items("kases")] == [1, 2, 3]
    assert [(method, url.split("?")[1]) for method, url, _ in sent] == [
        ("POST", "perPage=2"),
        ("POST", "page=2"),
    ]
    assert [sent_body for _, _, sent_body in sent] == [body, body]


def test_a_next_page_off_the_api_origin_is_refused_before_the_token_goes_there() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, json={"data": [], "links": {"next": "http://127.0.0.2/x"}})

    pages = follow_pages(client_for(answer), "/stages", body_link("links", "next"))
    with pytest.raises(ForeignLink):
        list(pages)
    assert asked == [f"{BASE}/stages"]


def test_a_body_link_ends_the_listing_where_the_body_has_none() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/two"):
            return httpx.Response(200, json={"data": [2], "links": {"next": None}})
        return httpx.Response(200, json={"data": [1], "links": {"next": f"{BASE}/two"}})

    pages = follow_pages(client_for(answer), "/one", body_link("links", "next"))
    assert [item for page in pages for item in page.items("data")] == [1, 2]


def test_a_cursor_listing_sends_each_cursor_back_until_a_page_has_none() -> None:
    pages = {None: {"results": [1], "paging": {"next": {"after": "c1"}}}, "c1": {"results": [2]}}
    asked: list[str | None] = []

    def fetch(after: str | None) -> dict[str, Any]:
        asked.append(after)
        return pages[after]

    read = [item for page in follow_cursor(fetch, after_cursor) for item in page["results"]]
    assert (read, asked) == ([1, 2], [None, "c1"])


class Boards:
    """Containers that answer from a list and count how often they are asked."""

    container = ContainerKind("board", "Capsule", "active board named", "a Board resource")

    def __init__(self, names: list[tuple[str, str]]) -> None:
        self.names = names
        self.asked = 0

    def live_named(self, name: str) -> Iterator[Remote]:
        self.asked += 1
        for id_, found in self.names:
            yield Remote(id=id_, outs={"name": found})


def account() -> Account:
    return Account(Endpoint("Capsule", BASE, "token"), CapsuleDialect())


def test_a_container_is_found_by_its_exact_name_once_per_account() -> None:
    boards = Boards([("7", "Sales"), ("8", "Sales team")])
    one, other = account(), account()
    assert container_id(one, boards, "Sales") == "7"
    assert container_id(one, boards, "Sales") == "7"
    assert boards.asked == 1
    assert container_id(other, boards, "Sales") == "7"
    assert boards.asked == 2
    one.wrote("board", Remote(id="9", outs={"name": "Other"}))  # a board write retires it
    container_id(one, boards, "Sales")
    assert boards.asked == 3


@pytest.mark.parametrize(
    ("names", "found"), [([("8", "Sales team")], "no"), ([("7", "Sales"), ("9", "Sales")], "2")]
)
def test_no_container_or_several_of_a_name_say_so(names: list[tuple[str, str]], found: str) -> None:
    with pytest.raises(ContainerNotFound) as missing:
        container_id(account(), Boards(names), "Sales")
    assert str(missing.value) == (
        f"Capsule has {found} active board named 'Sales' in this account; "
        "declare it with a Board resource or fix the name"
    )


def test_capsule_boards_are_found_by_name_through_the_api() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["status"] == "active"
        boards = [{"id": 4, "name": "Projects"}, {"id": 5, "name": "Projects 2"}]
        return httpx.Response(200, json={"boards": boards})

    boards = CapsuleBoards(client_for(answer))
    assert container_id(account(), boards, "Projects") == "4"


def test_auth_hints_name_the_adapters_own_key_and_variable() -> None:
    assert auth_hint(CAPSULE, 401, "admins only") == (
        "check capsule:accessToken (or CAPSULE_ACCESS_TOKEN); it may have expired"
    )
    assert auth_hint(CAPSULE, 403, "admins only") == "admins only"
    assert auth_hint(CAPSULE, 404, "admins only") is None


def test_an_adapters_state_is_kept_per_account() -> None:
    one, other = account(), account()
    mine = one.adapter_state("test cache", dict)
    mine["x"] = 1
    assert one.adapter_state("test cache", dict) is mine
    assert other.adapter_state("test cache", dict) == {}
