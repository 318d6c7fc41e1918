"""The HubSpot emulator is a portal like a real one: the default pipelines HubSpot seeds, ids
that cannot collide with them, required stage fields, search as documented (caps, its own
per-second limit, operators, properties, sorts, opaque cursors), batch read and update with
their 100-input limit and 207 partial failures, archived pipelines and their restore, and the
2026-09 refusals: workflow references that block a delete and validation rules that refuse a
record write. Each test names its source.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService, HubSpotState
from pulumi_stages.emulator.hubspot.state import HubSpotError
from pulumi_stages.hubspot.api import HubSpotDialect

V3 = "/crm/v3/pipelines"
DATED = "/crm/pipelines/2026-09"
OBJECTS = "/crm/v3/objects"
ADMIN = "/_emulator/hubspot"


@pytest.fixture
def hubspot(token: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(HubSpotService(token=token)) as server:
        yield server


@pytest.fixture
def http(hubspot: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=hubspot.base_url, headers=headers) as client:
        yield client


def sales(http: httpx.Client, label: str = "Sales") -> dict[str, Any]:
    body = {
        "label": label,
        "displayOrder": 1,
        "stages": [
            {"label": "Lead", "displayOrder": 0, "metadata": {"probability": 0.1}},
            {"label": "Won", "displayOrder": 1, "metadata": {"probability": 1.0}},
        ],
    }
    response = http.post(f"{V3}/deals", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def in_stage(stage_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "filterGroups": [
            {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": stage_id}]}
        ],
        **extra,
    }


def refused(response: httpx.Response, status: int, category: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and body["category"] == category, body
    return str(body["message"])


# [doc] pipelines guide: every account starts with a pipeline whose id is `default`; deals
# guide: the default stages' internal ids; tickets guide: hs_pipeline "0", hs_pipeline_stage "1".


def test_a_fresh_portal_holds_hubspots_default_pipelines_with_their_ids(
    http: httpx.Client,
) -> None:
    deals = http.get(f"{V3}/deals").json()["results"]
    assert [p["id"] for p in deals] == ["default"]
    assert [s["id"] for s in deals[0]["stages"]] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    probabilities = [s["metadata"]["probability"] for s in deals[0]["stages"]]
    assert probabilities == ["0.2", "0.4", "0.6", "0.8", "0.9", "1.0", "0.0"]
    tickets = http.get(f"{V3}/tickets").json()["results"]
    assert [p["id"] for p in tickets] == ["0"]
    assert [(s["id"], s["metadata"]["ticketState"]) for s in tickets[0]["stages"]] == [
        ("1", "OPEN"),
        ("2", "OPEN"),
        ("3", "OPEN"),
        ("4", "CLOSED"),
    ]


def test_seeded_objects_have_a_fixed_creation_time_on_every_run(token: str) -> None:
    first, second = HubSpotState(), HubSpotState()
    time.sleep(0.01)
    second.reset()
    assert first.pipelines["default"].created_at == second.pipelines["default"].created_at
    assert {s.created_at for s in first.pipelines["0"].stages.values()} == {
        first.pipelines["0"].created_at
    }


def test_generated_ids_never_collide_with_the_seeded_ones(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    seeded = {s["id"] for p in http.get(f"{V3}/tickets").json()["results"] for s in p["stages"]}
    seeded |= {s["id"] for p in http.get(f"{V3}/deals").json()["results"] for s in p["stages"]}
    made = sales(http)
    assert made["id"] not in {"default", "0"}
    assert not {s["id"] for s in made["stages"]} & seeded
    lead = made["stages"][0]["id"]
    deal = http.post(f"{OBJECTS}/deals", json={"properties": {"dealstage": lead}}).json()
    assert deal["properties"]["pipeline"] == made["id"]  # not "default" (the old collision)


# [doc] PipelineStageInput: label, displayOrder and metadata are required.


@pytest.mark.parametrize("object_type", ["deals", "tickets"])
def test_a_stage_without_metadata_is_refused(http: httpx.Client, object_type: str) -> None:
    pipeline = "default" if object_type == "deals" else "0"
    body = {"label": "No metadata", "displayOrder": 9}
    message = refused(
        http.post(f"{V3}/{object_type}/{pipeline}/stages", json=body), 400, "VALIDATION_ERROR"
    )
    assert "metadata" in message


# [doc] search guide: 200 a page, 10,000 in all, one sort, the operators, properties, cursors.


def test_search_stops_at_10000_results_and_its_cursor_is_opaque() -> None:
    state = HubSpotState()
    state.put_records("appointmentscheduled", 10_050)
    total, page, after = state.search("deals", in_stage("appointmentscheduled", limit=200))
    assert total == 10_050 and len(page) == 200 and after is not None
    assert not after.isdigit()
    pages = 1
    while after is not None:
        total, page, after = state.search(
            "deals", in_stage("appointmentscheduled", limit=200, after=after)
        )
        pages += 1
    assert pages == 50  # 10,000 / 200: the last page has no cursor past the cap
    with pytest.raises(HubSpotError) as beyond:
        state.search("deals", in_stage("appointmentscheduled", limit=201))
    assert beyond.value.status == 400
    with pytest.raises(HubSpotError) as forged:
        state.search("deals", in_stage("appointmentscheduled", after="9990"))
    assert forged.value.status == 400


def test_search_has_its_own_per_second_limit_and_429_body(http: httpx.Client) -> None:
    # [doc] five search requests per second per token; [seen] the SECONDLY policy body
    answers = [http.post(f"{OBJECTS}/deals/search", json={"limit": 1}) for _ in range(6)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert answers[5].status_code == 429
    assert answers[5].json()["policyName"] == "SECONDLY"
    assert answers[5].json()["errorType"] == "RATE_LIMIT"
    time.sleep(1.05)
    assert http.post(f"{OBJECTS}/deals/search", json={"limit": 1}).status_code == 200
    assert http.get(f"{V3}/deals").status_code == 200  # other calls are not held back


def test_search_operators_properties_and_sorts_follow_the_guide(
    hubspot: EmulatorServer,
) -> None:
    state = hubspot.service.state
    for name, amount in (("Acme renewal", "500"), ("Beta", "1500"), ("Gamma deal", "")):
        state.create_record("deals", {"dealname": name, "amount": amount, "dealstage": "closedwon"})

    def names(*filters: dict[str, Any], **extra: Any) -> list[str]:
        body = {"filterGroups": [{"filters": list(filters)}] if filters else [], **extra}
        return [r.properties["dealname"] for r in state.search("deals", body)[1]]

    def f(op: str, **spec: Any) -> dict[str, Any]:
        return {"propertyName": spec.pop("prop", "amount"), "operator": op, **spec}

    assert names(f("GT", value="1000")) == ["Beta"]
    assert names(f("GTE", value="500")) == ["Acme renewal", "Beta"]
    assert names(f("LT", value="1000")) == ["Acme renewal"]
    assert names(f("LTE", value="1500")) == ["Acme renewal", "Beta"]
    assert names(f("BETWEEN", value="400", highValue="600")) == ["Acme renewal"]
    assert names(f("NEQ", value="500")) == ["Beta", "Gamma deal"]
    assert names(f("HAS_PROPERTY")) == ["Acme renewal", "Beta"]
    assert names(f("NOT_HAS_PROPERTY")) == ["Gamma deal"]
    assert names(f("IN", values=["500", "1500"])) == ["Acme renewal", "Beta"]
    assert names(f("NOT_IN", values=["500"])) == ["Beta", "Gamma deal"]
    assert names(f("CONTAINS_TOKEN", prop="dealname", value="renew*")) == ["Acme renewal"]
    assert names(f("NOT_CONTAINS_TOKEN", prop="dealname", value="deal")) == [
        "Acme renewal",
        "Beta",
    ]
    assert names(query="gamma") == ["Gamma deal"]
    down = [{"propertyName": "amount", "direction": "DESCENDING"}]
    assert names(f("HAS_PROPERTY"), sorts=down) == ["Beta", "Acme renewal"]
    with pytest.raises(HubSpotError):  # [doc] one sort only
        names(sorts=down * 2)
    with pytest.raises(HubSpotError):  # [doc] 13 operators, no others
        names(f("LIKE", value="x"))


def test_search_answers_carry_the_properties_asked_for_or_the_defaults(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    hubspot.service.state.create_record(
        "deals", {"dealname": "Acme", "dealstage": "closedwon", "secret_note": "x"}
    )
    asked = http.post(f"{OBJECTS}/deals/search", json={"properties": ["dealstage"]}).json()
    assert set(asked["results"][0]["properties"]) == {
        "dealstage",
        "hs_object_id",
        "createdate",
        "hs_lastmodifieddate",
    }
    default = http.post(f"{OBJECTS}/deals/search", json={}).json()["results"][0]["properties"]
    assert "dealname" in default and "secret_note" not in default


# [doc] batch endpoints: at most 100 inputs; changelog: 200 when all succeed, 207 otherwise.


def test_batch_update_takes_100_inputs_and_answers_207_for_partial_failures(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    ids = hubspot.service.put_records("appointmentscheduled", 101)
    too_many = {"inputs": [{"id": i, "properties": {"dealstage": "closedwon"}} for i in ids]}
    refused(http.post(f"{OBJECTS}/deals/batch/update", json=too_many), 400, "VALIDATION_ERROR")
    assert hubspot.service.records_in("closedwon") == 0
    whole = {"inputs": too_many["inputs"][:100]}
    answer = http.post(f"{OBJECTS}/deals/batch/update", json=whole)
    assert answer.status_code == 200 and answer.json()["status"] == "COMPLETE"
    assert len(answer.json()["results"]) == 100 and "errors" not in answer.json()
    partial = {
        "inputs": [
            {"id": ids[100], "properties": {"dealstage": "closedlost"}},
            {"id": "999999", "properties": {"dealstage": "closedlost"}},
        ]
    }
    mixed = http.post(f"{OBJECTS}/deals/batch/update", json=partial)
    assert mixed.status_code == 207
    assert [r["id"] for r in mixed.json()["results"]] == [ids[100]]
    assert mixed.json()["numErrors"] == 1
    error = mixed.json()["errors"][0]
    assert error["category"] == "OBJECT_NOT_FOUND" and error["context"]["ids"] == ["999999"]


def test_batch_read_answers_207_naming_the_ids_not_found(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    (known,) = hubspot.service.put_records("closedwon", 1)
    body = {"inputs": [{"id": known}, {"id": "424242"}], "properties": ["dealstage"]}
    answer = http.post(f"{OBJECTS}/deals/batch/read", json=body)
    assert answer.status_code == 207
    assert answer.json()["results"][0]["properties"]["dealstage"] == "closedwon"
    assert answer.json()["errors"][0]["context"]["ids"] == ["424242"]
    assert hubspot.log.entries()[-1].reads_only


# [doc] DELETE archives a pipeline (the clients' `archive`); PipelinePatchInput.archived.


def test_a_deleted_pipeline_is_archived_and_a_patch_restores_it(http: httpx.Client) -> None:
    made = sales(http)
    assert http.delete(f"{DATED}/deals/{made['id']}").status_code == 204
    refused(http.get(f"{V3}/deals/{made['id']}"), 404, "OBJECT_NOT_FOUND")
    assert made["id"] not in [p["id"] for p in http.get(f"{V3}/deals").json()["results"]]
    refused(http.patch(f"{V3}/deals/{made['id']}", json={"label": "X"}), 404, "OBJECT_NOT_FOUND")
    restored = http.patch(f"{V3}/deals/{made['id']}", json={"archived": False})
    assert restored.status_code == 200 and restored.json()["archived"] is False
    assert [s["label"] for s in restored.json()["stages"]] == ["Lead", "Won"]
    assert made["id"] in [p["id"] for p in http.get(f"{V3}/deals").json()["results"]]


# [doc] changelog 2026-09: a delete is blocked while a workflow references the pipeline or stage.


def test_a_workflow_reference_blocks_a_delete_until_it_is_removed(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    made = sales(http)
    lead = made["stages"][0]["id"]
    assert http.put(f"{ADMIN}/workflows/{lead}", json={"name": "Nurture leads"}).status_code == 201
    stage_path = f"{DATED}/deals/{made['id']}/stages/{lead}"
    message = refused(http.delete(stage_path), 400, "VALIDATION_ERROR")
    assert "Nurture leads" in message
    refused(http.delete(f"{DATED}/deals/{made['id']}"), 400, "VALIDATION_ERROR")  # its stage
    http.delete(f"{ADMIN}/workflows/{lead}")
    assert http.delete(stage_path).status_code == 204


# [doc] changelog August 2026: admin-configured validation rules apply to every CRM write.


def test_a_validation_rule_refuses_a_record_write_single_and_in_a_batch(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    first, second = hubspot.service.put_records("appointmentscheduled", 2)
    rule = {"stage": "closedwon", "property": "amount"}
    assert http.put(f"{ADMIN}/rules/Won needs amount", json=rule).status_code == 201
    move = {"properties": {"dealstage": "closedwon"}}
    message = refused(http.patch(f"{OBJECTS}/deals/{first}", json=move), 400, "VALIDATION_ERROR")
    assert "Won needs amount" in message and first in message
    batch = {
        "inputs": [
            {"id": first, "properties": {"dealstage": "closedwon"}},
            {"id": second, "properties": {"dealstage": "closedwon", "amount": "10"}},
        ]
    }
    answer = http.post(f"{OBJECTS}/deals/batch/update", json=batch)
    assert answer.status_code == 207
    assert [r["id"] for r in answer.json()["results"]] == [second]
    assert answer.json()["errors"][0]["context"]["ids"] == [first]
    assert hubspot.service.records_in("closedwon") == 1
    http.delete(f"{ADMIN}/rules/Won needs amount")
    assert http.patch(f"{OBJECTS}/deals/{first}", json=move).status_code == 200


# [doc] usage guidelines: daily limits by tier for private apps; none (no headers) for OAuth.


def test_daily_headers_follow_the_tier_and_a_spent_day_answers_429(token: str) -> None:
    service = HubSpotService(token=token, daily_limit=3)
    with (
        EmulatorServer(service) as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        ) as http,
    ):
        first = http.get(f"{V3}/deals")
        assert first.headers["X-HubSpot-RateLimit-Daily"] == "3"
        assert first.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "2"
        http.get(f"{V3}/deals")
        http.get(f"{V3}/deals")
        spent = http.get(f"{V3}/deals")
        assert spent.status_code == 429 and spent.json()["policyName"] == "DAILY"
        message, _ = HubSpotDialect().error_details(spent)
        assert "daily HubSpot budget, 3 requests, 0 left, is used up" in message
    with (
        EmulatorServer(HubSpotService(token=token, daily_limit=None)) as oauth,
        httpx.Client(base_url=oauth.base_url, headers={"Authorization": f"Bearer {token}"}) as app,
    ):
        answer = app.get(f"{V3}/deals")
        assert answer.status_code == 200 and "X-HubSpot-RateLimit-Max" in answer.headers
        assert "X-HubSpot-RateLimit-Daily" not in answer.headers


# [doc] Pipelines v1 reference: "Pipelines may have up to 100 stages".


def test_a_pipeline_holds_at_most_100_stages(http: httpx.Client) -> None:
    made = sales(http)
    path = f"{V3}/deals/{made['id']}/stages"
    for i in range(98):
        body = {"label": f"S{i}", "displayOrder": i + 2, "metadata": {"probability": 0.5}}
        assert http.post(path, json=body).status_code == 201
    extra = {"label": "One too many", "displayOrder": 200, "metadata": {"probability": 0.5}}
    assert "at most 100 stages" in refused(http.post(path, json=extra), 400, "VALIDATION_ERROR")
    assert len(http.get(path).json()["results"]) == 100
