"""The Capsule emulator answers as the vendor documents: typed stage fields, separate id sequences,
archived stages, Boolean and page parameters, JSON errors everywhere, per-user budgets.

Sources: developer.capsulecrm.com/v2/operations/Stage and /Board, and
/v2/overview/handling-api-responses (errors are JSON; 4,000 requests per user per hour).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind


@pytest.fixture
def http(capsule: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=capsule.base_url, headers=headers) as client:
        yield client


def board(http: httpx.Client, name: str = "Projects") -> int:
    response = http.post("/boards", json={"board": {"name": name}})
    assert response.status_code == 201, response.text
    return int(response.json()["board"]["id"])


def stage(http: httpx.Client, board_id: int, name: str, **fields: Any) -> int:
    response = http.post("/stages", json={"stage": {"name": name, "board": board_id, **fields}})
    assert response.status_code == 201, response.text
    return int(response.json()["stage"]["id"])


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["name"] for s in response.json()["stages"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"displayOrder": None}, "displayOrder"),
        ({"displayOrder": "3"}, "displayOrder"),
        ({"displayOrder": True}, "displayOrder"),
        ({"name": None}, "name"),
        ({"description": 5}, "description"),
    ],
)
def test_a_stage_field_of_the_wrong_type_is_refused_and_listings_keep_working(
    http: httpx.Client, body: dict[str, Any], field: str
) -> None:
    # [doc] Stage: name and description are text, displayOrder a number; a null is no number
    stage_id = stage(http, board(http), "Brief", displayOrder=1)
    refused = http.put(f"/stages/{stage_id}", json={"stage": body})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == field
    assert names(http.get("/stages")) == ["Brief"]
    assert http.get(f"/stages/{stage_id}").json()["stage"]["displayOrder"] == 1


def test_a_null_display_order_is_refused_on_create_too(http: httpx.Client) -> None:
    projects = board(http)
    refused = http.post(
        "/stages", json={"stage": {"name": "Brief", "board": projects, "displayOrder": None}}
    )
    assert refused.status_code == 422
    assert names(http.get("/stages")) == []


def test_a_null_description_clears_it(http: httpx.Client) -> None:
    stage_id = stage(http, board(http), "Brief", description="Define the work")
    cleared = http.put(f"/stages/{stage_id}", json={"stage": {"description": None}})
    assert cleared.status_code == 200  # [guess] null clears a text field
    assert "description" not in cleared.json()["stage"]


def test_boards_and_stages_take_ids_from_separate_sequences(http: httpx.Client) -> None:
    # [doc] the vendor's examples: stage 154 on board 34, stages 1 and 156 on boards 34 and 35
    projects = board(http)
    brief = stage(http, projects, "Brief")
    review = stage(http, projects, "Review")
    assert (projects, brief, review) == (1, 1, 2)
    assert http.get(f"/boards/{projects}").json()["board"]["name"] == "Projects"
    assert http.get(f"/stages/{brief}").json()["stage"]["name"] == "Brief"
    # a stage id where a board id belongs finds no board, and the reverse finds no stage
    assert http.post("/stages", json={"stage": {"name": "x", "board": review}}).status_code == 404
    assert http.get(f"/boards/{review}/stages").status_code == 404
    assert http.get(f"/boards/{projects}/stages").json()["stages"][0]["board"]["id"] == projects


def test_stage_names_may_repeat_on_a_board_and_the_provider_sees_both(
    capsule: EmulatorServer, http: httpx.Client, token: str
) -> None:
    # [guess] the docs never say names are unique, so an account may hold two of one name
    projects = board(http)
    first, second = stage(http, projects, "Brief"), stage(http, projects, "Brief")
    from pulumi_stages.capsule.api import CapsuleDialect, CapsuleStages  # noqa: PLC0415
    from pulumi_stages.core.account import Account  # noqa: PLC0415
    from pulumi_stages.core.http import Endpoint  # noqa: PLC0415

    account = Account(Endpoint("Capsule", capsule.base_url, token), CapsuleDialect())
    try:
        stages = CapsuleStages(account)
        found = stages.find({"name": "Brief", "board": "Projects"})
        assert sorted(remote.id for remote in found) == [str(first), str(second)]
        assert sorted(remote.id for remote in stages.list_all()) == [str(first), str(second)]
    finally:
        account.client.close()
    assert capsule.service.live_stages() == [("Brief", str(first)), ("Brief", str(second))]
    capsule.service.state.options.unique_stage_names_per_board = True  # type: ignore[attr-defined]
    refused = http.post("/stages", json={"stage": {"name": "Brief", "board": projects}})
    assert refused.json()["errors"][0]["message"] == "name must be unique"


def test_an_archived_stage_is_listed_by_status_and_still_readable(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    projects = board(http)
    brief, done = stage(http, projects, "Brief"), stage(http, projects, "Done")
    admin = f"{capsule.root_url}/_emulator/capsule/stages/{done}"
    assert httpx.post(f"{admin}/archive").status_code == 200
    assert names(http.get("/stages")) == ["Brief"]  # [doc] status defaults to active
    assert names(http.get("/stages", params={"status": "archived"})) == ["Done"]
    assert names(http.get("/stages", params={"status": "all"})) == ["Brief", "Done"]
    assert names(http.get(f"/boards/{projects}/stages", params={"status": "archived"})) == ["Done"]
    read = http.get(f"/stages/{done}").json()["stage"]
    assert read["archived"] is True  # [guess] the field that marks it
    assert "archived" not in http.get(f"/stages/{brief}").json()["stage"]
    assert capsule.service.live_stages() == [("Brief", str(brief))]
    assert http.get("/stages", params={"status": "gone"}).status_code == 400
    assert httpx.post(f"{admin}/restore").status_code == 200
    assert names(http.get("/stages")) == ["Brief", "Done"]


@pytest.mark.parametrize(("value", "listed"), [("true", 2), ("TRUE", 2), ("False", 1)])
def test_include_on_deleted_board_is_a_boolean(http: httpx.Client, value: str, listed: int) -> None:
    kept, archived = board(http, "Kept"), board(http, "Gone")
    stage(http, kept, "Lead")
    stage(http, archived, "Old")
    assert http.delete(f"/boards/{archived}").status_code == 204
    response = http.get("/stages", params={"includeOnDeletedBoard": value})
    assert len(names(response)) == listed


def test_a_boolean_that_is_neither_true_nor_false_is_refused(http: httpx.Client) -> None:
    refused = http.get("/stages", params={"includeOnDeletedBoard": "yes"})
    assert refused.status_code == 400
    assert "includeOnDeletedBoard" in refused.json()["message"]


@pytest.mark.parametrize(
    ("params", "named"), [({"page": "0"}, "page"), ({"perPage": "0"}, "perPage")]
)
def test_pages_count_from_one(http: httpx.Client, params: dict[str, str], named: str) -> None:
    refused = http.get("/stages", params=params)  # [doc] page from 1, perPage 1..100
    assert refused.status_code == 400
    assert refused.json()["message"].startswith(named)


def test_unknown_routes_and_methods_answer_json(http: httpx.Client) -> None:
    missing = http.get("/opportunities/stages")
    assert missing.status_code == 404
    assert "message" in missing.json()  # [doc] every error body is JSON
    wrong_method = http.patch("/stages/1", json={"stage": {}})
    assert wrong_method.status_code == 405
    assert "message" in wrong_method.json()


def test_each_user_spends_a_budget_of_their_own(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    capsule.service.add_token("tok-same-user")  # type: ignore[attr-defined]
    capsule.service.add_token("tok-user-2", user_id=2)  # type: ignore[attr-defined]
    capsule.budget.configure(limit=1, window_seconds=60)
    assert http.get("/boards").status_code == 200
    assert http.get("/boards", headers={"Authorization": "Bearer tok-same-user"}).status_code == 429
    assert http.get("/boards", headers={"Authorization": "Bearer tok-user-2"}).status_code == 200


def test_only_an_injected_429_carries_retry_after(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    # [doc] Capsule documents no Retry-After: after a 429 clients wait for X-RateLimit-Reset
    capsule.faults.add(Fault(FaultKind.STATUS, status=429, retry_after=5))
    injected = http.get("/boards")
    assert injected.status_code == 429 and int(injected.headers["Retry-After"]) <= 5
    capsule.budget.configure(limit=0, window_seconds=60)
    own = http.get("/boards")
    assert own.status_code == 429 and "Retry-After" not in own.headers
