"""The HubSpot emulator answers as HubSpot documents: pipelines that carry their stages, string ids,
unique stage labels per pipeline, deal probabilities and ticket states checked, the error body
`{"status": "error", "message", "correlationId", "category"}`, a bearer token, rate headers,
search paging, and deletes that validate references (by default from version 2026-09 on).

Sources: developers.hubspot.com CRM Pipelines guide and reference (v3, 2026-09), the changelog
"pipeline stage validation true", API usage guidelines, and hubspot-api-python's models.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService

V3 = "/crm/v3/pipelines"
DATED = "/crm/pipelines/2026-09"


@pytest.fixture
def hubspot(token: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(HubSpotService(token=token, portal_id=4242)) as server:
        yield server


@pytest.fixture
def http(hubspot: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=hubspot.base_url, headers=headers) as client:
        yield client


def deal_pipeline(
    http: httpx.Client, label: str = "Sales", *stages: tuple[str, float]
) -> dict[str, Any]:
    body = {
        "label": label,
        "displayOrder": 0,
        "stages": [
            {"label": name, "displayOrder": i, "metadata": {"probability": p}}
            for i, (name, p) in enumerate(stages or (("Lead", 0.1), ("Won", 1.0)))
        ],
    }
    response = http.post(f"{V3}/deals", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_error(response: httpx.Response, status: int, category: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error" and body["category"] == category
    assert body["message"] and body["correlationId"]
    return body


def test_a_pipeline_is_created_with_its_stages_and_string_ids(http: httpx.Client) -> None:
    created = deal_pipeline(http)
    assert isinstance(created["id"], str) and created["archived"] is False
    assert [s["label"] for s in created["stages"]] == ["Lead", "Won"]
    won = created["stages"][1]
    assert isinstance(won["id"], str)
    assert won["metadata"]["probability"] == "1.0"  # [doc] metadata values are strings
    assert {"createdAt", "updatedAt", "displayOrder", "archived"} <= set(won)
    listed = http.get(f"{V3}/deals").json()
    assert list(listed) == ["results"]  # [doc] no paging on pipeline listings
    assert (
        http.get(f"{DATED}/0-3/{created['id']}").json()["label"] == "Sales"
    )  # type id, dated path


def test_every_call_needs_a_bearer_token(hubspot: EmulatorServer) -> None:
    with httpx.Client(base_url=hubspot.base_url) as anonymous:
        body = assert_error(anonymous.get(f"{V3}/deals"), 401, "INVALID_AUTHENTICATION")
        assert "Authentication credentials not found" in body["message"]
        wrong = anonymous.get(f"{V3}/deals", headers={"Authorization": "Bearer nope"})
        assert_error(wrong, 401, "INVALID_AUTHENTICATION")


def test_stage_labels_are_unique_within_a_pipeline_only(http: httpx.Client) -> None:
    first = deal_pipeline(http, "Sales")
    second = deal_pipeline(http, "Renewals")
    again = {"label": "Lead", "displayOrder": 5, "metadata": {"probability": 0.2}}
    assert_error(http.post(f"{V3}/deals/{first['id']}/stages", json=again), 409, "CONFLICT")
    assert (
        http.post(f"{V3}/deals/{second['id']}/stages", json={**again, "label": "Other"}).status_code
        == 201
    )
    lead = first["stages"][0]["id"]
    renamed = http.patch(f"{V3}/deals/{first['id']}/stages/{lead}", json={"label": "Won"})
    assert_error(renamed, 409, "CONFLICT")


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"probability": 1.5},
        {"probability": -0.1},
        {"probability": "high"},
        {"probability": True},
    ],
)
def test_deal_stages_need_a_probability_from_0_to_1(
    http: httpx.Client, metadata: dict[str, Any]
) -> None:
    pipeline = deal_pipeline(http)
    body = {"label": "Demo", "displayOrder": 3, "metadata": metadata}
    assert_error(
        http.post(f"{V3}/deals/{pipeline['id']}/stages", json=body), 400, "VALIDATION_ERROR"
    )
    assert [
        s["label"] for s in http.get(f"{V3}/deals/{pipeline['id']}/stages").json()["results"]
    ] == ["Lead", "Won"]


def test_ticket_stages_take_open_or_closed(http: httpx.Client) -> None:
    body = {
        "label": "Support",
        "displayOrder": 0,
        "stages": [
            {"label": "New", "displayOrder": 0, "metadata": {}},
            {"label": "Done", "displayOrder": 1, "metadata": {"ticketState": "CLOSED"}},
        ],
    }
    created = http.post(f"{V3}/tickets", json=body).json()
    assert [s["metadata"]["ticketState"] for s in created["stages"]] == ["OPEN", "CLOSED"]
    bad = {"label": "Odd", "displayOrder": 2, "metadata": {"ticketState": "PAUSED"}}
    assert_error(
        http.post(f"{V3}/tickets/{created['id']}/stages", json=bad), 400, "VALIDATION_ERROR"
    )


def test_a_stage_needs_a_label_and_a_whole_display_order(http: httpx.Client) -> None:
    pipeline = deal_pipeline(http)
    path = f"{V3}/deals/{pipeline['id']}/stages"
    no_order = {"label": "X", "metadata": {"probability": 0.5}}
    assert_error(http.post(path, json=no_order), 400, "VALIDATION_ERROR")
    blank = {"label": " ", "displayOrder": 1, "metadata": {"probability": 0.5}}
    assert_error(http.post(path, json=blank), 400, "VALIDATION_ERROR")


def test_missing_objects_answer_404_in_hubspots_shape(http: httpx.Client) -> None:
    pipeline = deal_pipeline(http)
    assert_error(http.get(f"{V3}/deals/999"), 404, "OBJECT_NOT_FOUND")
    assert_error(http.get(f"{V3}/deals/{pipeline['id']}/stages/999"), 404, "OBJECT_NOT_FOUND")
    assert_error(http.get(f"{V3}/tickets/{pipeline['id']}"), 404, "OBJECT_NOT_FOUND")  # other type
    assert_error(http.get("/crm/v3/nothing"), 404, "OBJECT_NOT_FOUND")


def test_deleting_a_stage_deals_use_is_refused_when_references_are_validated(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    pipeline = deal_pipeline(http, "Sales", ("Lead", 0.1), ("Demo", 0.4), ("Won", 1.0))
    lead, demo, _ = (s["id"] for s in pipeline["stages"])
    hubspot.service.put_records(lead, 3)
    hubspot.service.put_records(demo, 1)
    stage = f"/deals/{pipeline['id']}/stages/{lead}"
    refused = http.delete(f"{V3}{stage}", params={"validateDealStageUsagesBeforeDelete": "true"})
    assert "in use by 3 deals" in assert_error(refused, 400, "VALIDATION_ERROR")["message"]
    # [doc] 2026-09 validates by default; the deal flag, not the generic one, governs deals
    assert_error(http.delete(f"{DATED}{stage}"), 400, "VALIDATION_ERROR")
    assert hubspot.service.records_in(lead) == 3
    # [doc] before 2026-09 nothing is validated unless asked: the deals keep a dangling stage
    demo_path = f"{V3}/deals/{pipeline['id']}/stages/{demo}"
    assert http.delete(demo_path).status_code == 204
    assert hubspot.service.records_in(demo) == 1
    unvalidated = http.delete(
        f"{DATED}{stage}", params={"validateDealStageUsagesBeforeDelete": "false"}
    )
    assert unvalidated.status_code == 204


def test_search_counts_and_pages_deals_in_a_stage_and_patch_moves_them(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    pipeline = deal_pipeline(http)
    lead, won = (s["id"] for s in pipeline["stages"])
    hubspot.service.put_records(lead, 5)
    query = {
        "filterGroups": [
            {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": lead}]}
        ],
        "limit": 2,
    }
    first = http.post("/crm/objects/2026-03/deals/search", json=query).json()
    assert first["total"] == 5 and len(first["results"]) == 2
    after = first["paging"]["next"]["after"]
    rest = http.post(
        "/crm/v3/objects/deals/search", json={**query, "after": after, "limit": 10}
    ).json()
    assert len(rest["results"]) == 3 and "paging" not in rest
    deal = first["results"][0]["id"]
    moved = http.patch(f"/crm/v3/objects/deals/{deal}", json={"properties": {"dealstage": won}})
    assert moved.status_code == 200 and moved.json()["properties"]["dealstage"] == won
    assert hubspot.service.records_in(won) == 1
    other = deal_pipeline(http, "Renewals")
    foreign = other["stages"][0]["id"]
    wrong = http.patch(f"/crm/v3/objects/deals/{deal}", json={"properties": {"dealstage": foreign}})
    assert_error(wrong, 400, "VALIDATION_ERROR")  # a stage of another pipeline
    assert_error(
        http.post("/crm/v3/objects/deals/search", json={"limit": 500}), 400, "VALIDATION_ERROR"
    )
    assert [e.reads_only for e in hubspot.log.entries() if e.path.endswith("/search")] == [
        True,
        True,
        True,
    ]


def test_account_details_name_the_portal_and_rate_headers_report_the_window(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    response = http.get("/account-info/v3/details")
    assert response.json()["portalId"] == 4242
    assert http.get("/account-info/2026-03/details").json()["portalId"] == 4242
    headers = response.headers
    assert headers["X-HubSpot-RateLimit-Max"] == "190"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(headers["X-HubSpot-RateLimit-Remaining"]) < 190
    assert (
        "X-HubSpot-RateLimit-Daily" in headers and "X-HubSpot-RateLimit-Daily-Remaining" in headers
    )
    hubspot.budget.configure(1, 10)
    http.get(f"{V3}/deals")
    limited = http.get(f"{V3}/deals")
    assert limited.status_code == 429
    assert limited.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"


def test_a_pipeline_label_is_unique_per_object_type_and_the_state_round_trips(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    deal_pipeline(http, "Sales")
    stage = {"label": "New", "displayOrder": 0, "metadata": {"ticketState": "OPEN"}}
    again = {"label": "Sales", "displayOrder": 1, "stages": [stage]}
    assert_error(http.post(f"{V3}/deals", json=again), 409, "CONFLICT")
    assert http.post(f"{V3}/tickets", json=again).status_code == 201
    saved = hubspot.service.export_state()
    hubspot.service.reset()
    assert hubspot.service.live_stages() == []
    hubspot.service.import_state(saved)
    assert [name for name, _ in hubspot.service.live_stages()] == ["Lead", "Won", "New"]


def test_only_documented_api_and_version_pairs_are_served(http: httpx.Client) -> None:
    # [doc] Pipelines at 2026-09, CRM objects and account info at 2026-03, every one at v3
    assert http.get("/crm/pipelines/2026-09/deals").status_code == 200
    assert http.post("/crm/objects/2026-03/deals/search", json={"limit": 1}).status_code == 200
    assert http.get("/account-info/2026-03/details").status_code == 200
    undocumented = (
        http.get("/crm/pipelines/2026-03/deals"),
        http.post("/crm/objects/2026-09/deals/search", json={"limit": 1}),
        http.get("/account-info/2026-09/details"),
    )
    for response in undocumented:
        assert_error(response, 404, "OBJECT_NOT_FOUND")
