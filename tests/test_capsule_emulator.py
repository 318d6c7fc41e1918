"""The Capsule emulator over HTTP: wrapper keys, Location, Link paging, boards, Capsule's errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer


@pytest.fixture
def http(capsule: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=capsule.base_url, headers=headers) as client:
        yield client


def board(http: httpx.Client, name: str = "Projects") -> dict[str, Any]:
    response = http.post("/boards", json={"board": {"name": name}})
    assert response.status_code == 201
    return response.json()["board"]  # type: ignore[no-any-return]


def test_create_stage_answers_201_with_wrapper_and_location(http: httpx.Client) -> None:
    projects = board(http)
    response = http.post(
        "/stages",
        json={"stage": {"name": "Project Brief", "board": projects["id"], "displayOrder": 1}},
    )
    assert response.status_code == 201
    stage = response.json()["stage"]
    assert stage["board"] == {"id": projects["id"], "name": "Projects"}
    assert "description" not in stage
    assert response.headers["Location"].endswith(f"/api/v2/stages/{stage['id']}")


def test_board_may_be_given_as_an_object(http: httpx.Client) -> None:
    projects = board(http)
    response = http.post(
        "/stages", json={"stage": {"name": "Brief", "board": {"id": projects["id"]}}}
    )
    assert response.status_code == 201


def test_put_changes_name_description_and_order_but_not_the_board(http: httpx.Client) -> None:
    first, second = board(http, "A"), board(http, "B")
    stage = http.post("/stages", json={"stage": {"name": "S", "board": first["id"]}}).json()
    stage_id = stage["stage"]["id"]
    updated = http.put(
        f"/stages/{stage_id}", json={"stage": {"description": "d", "displayOrder": 9}}
    )
    assert updated.json()["stage"]["description"] == "d"
    moved = http.put(f"/stages/{stage_id}", json={"stage": {"board": second["id"]}})
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["field"] == "board"


def test_validation_errors_have_the_documented_shape(
    http: httpx.Client, capsule: EmulatorServer
) -> None:
    capsule.service.state.options.unique_stage_names_per_board = True  # type: ignore[attr-defined]
    projects = board(http)
    http.post("/stages", json={"stage": {"name": "Brief", "board": projects["id"]}})
    duplicate = http.post("/stages", json={"stage": {"name": "Brief", "board": projects["id"]}})
    assert duplicate.status_code == 422
    assert duplicate.json() == {
        "message": "Validation Failed",
        "errors": [{"message": "name must be unique", "resource": "stage", "field": "name"}],
    }


def test_link_header_pages_through_more_than_100_stages(http: httpx.Client) -> None:
    projects = board(http)
    for i in range(120):
        http.post("/stages", json={"stage": {"name": f"S{i}", "board": projects["id"]}})
    names: list[str] = []
    url: str | None = "/stages?perPage=100"
    pages = 0
    while url:
        response = http.get(url)
        names += [s["name"] for s in response.json()["stages"]]
        pages += 1
        url = response.links.get("next", {}).get("url")
    assert pages == 2
    assert names == [f"S{i}" for i in range(120)]
    assert http.get("/stages?perPage=101").status_code == 400


def test_stage_used_on_an_open_project_cannot_be_deleted(
    http: httpx.Client, capsule: EmulatorServer
) -> None:
    projects = board(http)
    stage_id = http.post("/stages", json={"stage": {"name": "S", "board": projects["id"]}}).json()[
        "stage"
    ]["id"]
    admin = f"{capsule.root_url}/_emulator/capsule/stages/{stage_id}/projects"
    assert httpx.put(admin, json={"open": 2}).status_code == 204
    refused = http.delete(f"/stages/{stage_id}")
    assert refused.status_code == 422
    assert "move or close them" in refused.json()["message"]
    assert httpx.put(admin, json={"open": 0}).status_code == 204
    assert http.delete(f"/stages/{stage_id}").status_code == 204


def test_boards_are_searchable_archived_and_restored(http: httpx.Client) -> None:
    sales, _ = board(http, "Sales"), board(http, "Projects")
    assert [b["name"] for b in http.get("/boards", params={"q": "sal"}).json()["boards"]] == [
        "Sales"
    ]
    assert http.delete(f"/boards/{sales['id']}").status_code == 204
    assert [b["name"] for b in http.get("/boards").json()["boards"]] == ["Projects"]
    assert http.post(f"/boards/{sales['id']}/restore").status_code == 200


def test_at_most_30_active_boards(http: httpx.Client) -> None:
    for i in range(30):
        board(http, f"B{i}")
    assert http.post("/boards", json={"board": {"name": "one too many"}}).status_code == 422


def test_errors_for_tokens_roles_and_rate_limits(capsule: EmulatorServer, token: str) -> None:
    assert httpx.get(f"{capsule.base_url}/stages").status_code == 401
    capsule.service.add_token("read-only", admin=False, user_id=2)  # type: ignore[attr-defined]
    headers = {"Authorization": "Bearer read-only"}
    assert httpx.get(f"{capsule.base_url}/boards", headers=headers).status_code == 200
    refused = httpx.post(
        f"{capsule.base_url}/boards", json={"board": {"name": "x"}}, headers=headers
    )
    assert refused.status_code == 403
    capsule.budget.configure(limit=1, window_seconds=60)
    mine = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{capsule.base_url}/boards", headers=mine).status_code == 200
    limited = httpx.get(f"{capsule.base_url}/boards", headers=mine)
    assert limited.status_code == 429
    assert limited.json() == {"error": "rate limit reached"}
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in limited.headers
