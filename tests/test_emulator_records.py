"""The records that sit in stages, as each emulator holds them over real HTTP: Outreach prospects
with their `stage` relationship, Capsule projects (kases) on a board's stages.

Sources: Outreach's prospect OpenAPI (developers.outreach.io/api/reference, mirrored in
api-evangelist/outreach openapi/outreach-prospect-api-openapi.yml) and making-requests (filters,
cursor paging, count=true); Capsule's developer.capsulecrm.com/v2/operations/Project,
/v2/models/project, /v2/operations/Filter and /v2/reference/filters. [guess] marks what the
vendors leave open.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.capsule import CapsuleState
from pulumi_stages.emulator.outreach import CountMode, OutreachState

JSON_API = "application/vnd.api+json"


def service(server: EmulatorServer) -> Any:
    return server.service


# Outreach.


@pytest.fixture
def api(outreach: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": JSON_API}
    with httpx.Client(base_url=outreach.base_url, headers=headers) as client:
        yield client


def outreach_stage(api: httpx.Client, name: str) -> int:
    created = api.post("/stages", json={"data": {"type": "stage", "attributes": {"name": name}}})
    assert created.status_code == 201, created.text
    return int(created.json()["data"]["id"])


def in_stage(stage_id: int | None) -> dict[str, Any]:
    data = None if stage_id is None else {"type": "stage", "id": stage_id}
    return {"stage": {"data": data}}


def walk_prospects(api: httpx.Client, **params: str) -> list[int]:
    """Every prospect id over the `next` links."""
    seen: list[int] = []
    document = api.get("/prospects", params=params).json()
    while True:
        seen += [p["id"] for p in document["data"]]
        following = document["links"].get("next")
        if not following:
            return seen
        document = api.get(following).json()


def test_a_prospect_is_created_in_a_stage_and_read_back(api: httpx.Client) -> None:
    # [doc] prospect OpenAPI: POST /prospects with attributes and relationships, 201 {"data"};
    # relationship stage.data is {"type": "stage", "id": <integer>}
    lead = outreach_stage(api, "Lead")
    body = {
        "data": {
            "type": "prospect",
            "attributes": {"firstName": "Sally", "lastName": "Ride", "emails": ["s@example.com"]},
            "relationships": in_stage(lead),
        }
    }
    created = api.post("/prospects", json=body)
    assert created.status_code == 201, created.text
    prospect = created.json()["data"]
    assert prospect["type"] == "prospect" and isinstance(prospect["id"], int)
    assert prospect["relationships"]["stage"] == {"data": {"type": "stage", "id": lead}}
    read = api.get(f"/prospects/{prospect['id']}").json()["data"]
    assert read["attributes"]["firstName"] == "Sally"
    assert read["attributes"]["name"] == "Sally Ride"  # [doc] read-only full name
    assert read["attributes"]["emails"] == ["s@example.com"]
    assert read["links"]["self"].endswith(f"/prospects/{prospect['id']}")
    no_stage = api.post("/prospects", json={"data": {"type": "prospect", "attributes": {}}})
    assert no_stage.json()["data"]["relationships"]["stage"] == {"data": None}
    # the stage's own prospects link now resolves to this listing
    related = api.get(f"/stages/{lead}").json()["data"]["relationships"]["prospects"]
    assert related["links"]["related"].endswith(f"/prospects?filter[stage][id]={lead}")


def test_filter_by_stage_counts_and_pages_the_prospects_in_it(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    # [doc] prospect OpenAPI: "You can use attributes id and name to filter prospects by stage
    # (e.g. filter[stage][id]=X)"; making-requests: count=true adds meta.count, cursor links
    lead, won = outreach_stage(api, "Lead"), outreach_stage(api, "Won")
    leads = [int(i) for i in service(outreach).put_records(str(lead), 7)]
    service(outreach).put_records(str(won), 2)
    api.post("/prospects", json={"data": {"type": "prospect", "attributes": {}}})  # no stage
    first = api.get(
        "/prospects", params={"filter[stage][id]": str(lead), "count": "true", "page[size]": "3"}
    )
    assert first.status_code == 200
    assert first.json()["meta"] == {"count": 7}
    assert len(first.json()["data"]) == 3 and "next" in first.json()["links"]
    assert walk_prospects(api, **{"filter[stage][id]": str(lead), "page[size]": "3"}) == leads
    both = api.get("/prospects", params={"filter[stage][id]": f"{lead},{won}", "count": "true"})
    assert both.json()["meta"]["count"] == 9
    listed = api.get(
        "/prospects",
        params=[
            ("newFilterSyntax", "true"),
            ("filter[stage][id][]", str(lead)),
            ("filter[stage][id][]", str(won)),
            ("count", "true"),
        ],
    )
    assert listed.json()["meta"]["count"] == 9  # [doc] listed values are alternatives
    by_name = api.get("/prospects", params={"filter[stage][name]": "Won", "count": "true"})
    assert by_name.json()["meta"]["count"] == 2
    everyone = api.get("/prospects", params={"count": "true"}).json()
    assert everyone["meta"]["count"] == 10
    assert service(outreach).records_in(str(lead)) == 7


def test_patch_moves_a_prospect_and_a_null_stage_takes_it_out(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    # [doc] PATCH /prospects/{id} with {"data": {"type", "id", "relationships"}}: type and id
    # required; stage.data may be null
    lead, won = outreach_stage(api, "Lead"), outreach_stage(api, "Won")
    (prospect,) = (int(i) for i in service(outreach).put_records(str(lead), 1))
    move = {"data": {"type": "prospect", "id": prospect, "relationships": in_stage(won)}}
    moved = api.patch(f"/prospects/{prospect}", json=move)
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["relationships"]["stage"]["data"] == {"type": "stage", "id": won}
    assert (service(outreach).records_in(str(lead)), service(outreach).records_in(str(won))) == (
        0,
        1,
    )
    out = {"data": {"type": "prospect", "id": prospect, "relationships": in_stage(None)}}
    assert api.patch(f"/prospects/{prospect}", json=out).json()["data"]["relationships"][
        "stage"
    ] == {"data": None}
    assert service(outreach).records_in(str(won)) == 0
    rename = {"data": {"type": "prospect", "id": prospect, "attributes": {"firstName": "Al"}}}
    renamed = api.patch(f"/prospects/{prospect}", json=rename).json()["data"]
    assert renamed["attributes"]["firstName"] == "Al"
    assert renamed["relationships"]["stage"] == {"data": None}  # untouched without relationships


def test_a_patch_is_refused_as_json_api_and_the_reference_say(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    lead = outreach_stage(api, "Lead")
    (prospect,) = (int(i) for i in service(outreach).put_records(str(lead), 1))

    def patch(data: dict[str, Any]) -> httpx.Response:
        return api.patch(f"/prospects/{prospect}", json={"data": data})

    # [doc] PATCH requires type and id; [guess] 409 when they do not match (JSON:API)
    assert patch({"type": "prospect", "relationships": in_stage(lead)}).status_code == 409
    assert patch({"type": "stage", "id": prospect}).status_code == 409
    # JSON:API 1.0: a related resource that does not exist is a 404
    missing = patch({"type": "prospect", "id": prospect, "relationships": in_stage(999)})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["detail"] == "Could not find 'stage' with ID '999'."
    # [guess] a malformed identifier, a string id, or a relationship not kept here: 422
    for relationships in (
        {"stage": {"data": {"type": "stage", "id": str(lead)}}},
        {"stage": {"data": {"type": "user", "id": lead}}},
        {"owner": {"data": {"type": "user", "id": 1}}},
    ):
        refused = patch({"type": "prospect", "id": prospect, "relationships": relationships})
        assert refused.status_code == 422, relationships
        assert refused.json()["errors"][0]["source"]["pointer"].startswith("/data/relationships")
    too_long = patch({"type": "prospect", "id": prospect, "attributes": {"firstName": "x" * 256}})
    assert too_long.json()["errors"][0]["id"] == "validationDataTooLongError"  # [doc] max 255
    assert api.get("/prospects/999").json()["errors"][0]["detail"] == (
        "Could not find 'prospect' with ID '999'."
    )
    assert service(outreach).records_in(str(lead)) == 1


def test_deleting_a_stage_leaves_its_prospects_in_no_stage(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    # [seen] Outreach help pages (api-notes.md): the delete succeeds, the prospects show
    # "No Stage"; the provider must refuse before deleting a stage that holds records
    lead = outreach_stage(api, "Lead")
    ids = service(outreach).put_records(str(lead), 3)
    assert api.delete(f"/stages/{lead}").status_code == 204
    for id_ in ids:
        read = api.get(f"/prospects/{id_}").json()["data"]
        assert read["relationships"]["stage"] == {"data": None}
    gone = api.get("/prospects", params={"filter[stage][id]": str(lead), "count": "true"})
    assert gone.json() == {**gone.json(), "data": [], "meta": {"count": 0}}
    assert service(outreach).records_in(str(lead)) == 0


@pytest.mark.parametrize(
    ("mode", "counted"), [(CountMode.TRUNCATED, 2), (CountMode.ZERO_UNDER_LOAD, 0)]
)
def test_an_unreliable_count_leaves_the_data_pages_right(
    outreach: EmulatorServer, api: httpx.Client, mode: CountMode, counted: int
) -> None:
    # The issue: "Outreach's count can be truncated or zero under load: never treat an
    # unconfirmed zero as empty." [guess] how: OutreachOptions.count_mode
    lead = outreach_stage(api, "Lead")
    ids = [int(i) for i in service(outreach).put_records(str(lead), 5)]
    service(outreach).state.options.count_mode = mode
    params = {"filter[stage][id]": str(lead), "count": "true", "page[size]": "2"}
    answer = api.get("/prospects", params=params).json()
    assert answer["meta"]["count"] == counted
    assert len(answer["data"]) == 2  # a page of data confirms what the count cannot
    assert walk_prospects(api, **params) == ids
    one = api.get("/prospects", params={**params, "page[size]": "1"}).json()
    assert one["data"] and one["meta"]["count"] in (0, 1)
    assert (
        api.get("/stages", params={"count": "true"}).json()["meta"]["count"] == 1
    )  # stages count exactly
    service(outreach).state.options.count_mode = CountMode.EXACT
    assert api.get("/prospects", params=params).json()["meta"]["count"] == 5


def test_prospects_need_prospect_scopes(outreach: EmulatorServer, api: httpx.Client) -> None:
    # [doc] scopes per resource, `.read` and `.all` ([seen] prospects.read, prospects.all);
    # [guess] prospects.write for POST/PATCH; the emulator's default token holds every `.all`
    service(outreach).oauth.add_access_token("at-stages", frozenset({"stages.all"}))
    service(outreach).oauth.add_access_token("at-read", frozenset({"prospects.read"}))
    lead = outreach_stage(api, "Lead")
    (prospect,) = service(outreach).put_records(str(lead), 1)

    def call(method: str, bearer: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {bearer}"}
        return api.request(method, path, headers=headers, json=body)

    lacking = call("GET", "at-stages", "/prospects").json()["errors"][0]
    assert lacking["id"] == "unauthorizedOauthScope"
    assert lacking["detail"].endswith("the required scope 'prospects.read'.")
    assert call("GET", "at-stages", f"/stages/{lead}").status_code == 200
    assert call("GET", "at-read", f"/prospects/{prospect}").status_code == 200
    move = {"data": {"type": "prospect", "id": int(prospect), "relationships": in_stage(None)}}
    write = call("PATCH", "at-read", f"/prospects/{prospect}", move).json()["errors"][0]
    assert write["detail"].endswith("'prospects.write'.")
    assert api.patch(f"/prospects/{prospect}", json=move).status_code == 200


def test_prospect_listings_take_the_documented_filters_only(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    lead = outreach_stage(api, "Lead")
    service(outreach).put_records(str(lead), 2)
    for params in (
        {"filter[stage][color]": "#fff"},  # [doc] stage filters on id and name
        {"filter[stage][id]": "__null__"},  # [guess] __null__ is for attributes, not relations
        {"filter[owner][id]": "1"},  # documented, but the emulator keeps no owners
        {"fields[stage]": "name", "colour": "x"},
    ):
        refused = api.get("/prospects", params=params)
        assert refused.status_code == 400, params
    named = api.get("/prospects", params={"filter[lastName]": "2", "fields[prospect]": "lastName"})
    assert [p["attributes"] for p in named.json()["data"]] == [{"lastName": "2"}]
    outreach_stage(api, "Won")
    after = httpx.URL(api.get("/stages", params={"page[size]": "1"}).json()["links"]["next"])
    misused = api.get("/prospects", params={"page[after]": after.params["page[after]"]})
    assert misused.status_code == 400  # a stage listing's cursor is not a prospect listing's


def test_admin_routes_add_place_and_count_prospects(
    outreach: EmulatorServer, api: httpx.Client
) -> None:
    lead = outreach_stage(api, "Lead")
    admin = f"{outreach.root_url}/_emulator/outreach/stages/{lead}/prospects"
    added = httpx.post(admin, json={"count": 3})
    assert added.status_code == 201
    ids = added.json()["ids"]
    assert httpx.get(admin).json() == {"count": 3, "ids": ids}
    assert httpx.put(admin, json={"ids": [ids[0], 50]}).status_code == 204  # 50 is new
    assert httpx.get(admin).json()["count"] == 4
    assert api.get("/prospects/50").json()["data"]["relationships"]["stage"]["data"]["id"] == lead
    on_stages = api.get("/stages", params={"filter[prospects][id]": "50"}).json()["data"]
    assert [s["id"] for s in on_stages] == [lead]
    assert httpx.post(admin, json={"count": "many"}).status_code == 400
    elsewhere = f"{outreach.root_url}/_emulator/outreach/stages/999/prospects"
    assert httpx.post(elsewhere, json={"count": 1}).status_code == 404


def test_outreach_state_keeps_prospects_across_export_and_the_older_form() -> None:
    state = OutreachState()
    lead = state.create({"name": "Lead"})
    ids = state.put_prospects(lead.id, 2)
    again = OutreachState()
    again.import_state(state.export_state())
    assert again.prospects_in(lead.id) == 2
    assert [p.id for p in again.prospect_listing()] == ids
    assert again.put_prospects(lead.id, 1) == [ids[-1] + 1]
    older = OutreachState()
    older.import_state({"next_id": 2, "stages": [], "prospects": {"7": lead.id}})
    assert older.prospects[7].stage_id == lead.id


# Capsule.


@pytest.fixture
def http(capsule: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=capsule.base_url, headers=headers) as client:
        yield client


def board(http: httpx.Client, name: str = "Projects") -> int:
    response = http.post("/boards", json={"board": {"name": name}})
    assert response.status_code == 201, response.text
    return int(response.json()["board"]["id"])


def capsule_stage(http: httpx.Client, board_id: int, name: str) -> int:
    response = http.post("/stages", json={"stage": {"name": name, "board": board_id}})
    assert response.status_code == 201, response.text
    return int(response.json()["stage"]["id"])


def kase(http: httpx.Client, stage_id: int | None, **fields: Any) -> dict[str, Any]:
    body = {"name": "Consulting", "party": {"id": 892}, "owner": {"id": 1}, **fields}
    if stage_id is not None:
        body["stage"] = stage_id
    response = http.post("/kases", json={"kase": body})
    assert response.status_code == 201, response.text
    return response.json()["kase"]  # type: ignore[no-any-return]


def on_stage(stage_id: int, open_only: bool = True) -> dict[str, Any]:
    conditions: list[dict[str, Any]] = [{"field": "stage", "operator": "is", "value": stage_id}]
    if open_only:
        conditions.append({"field": "isOpen", "operator": "is", "value": True})
    return {"filter": {"conditions": conditions}}


def test_a_project_is_a_kase_on_a_stage(http: httpx.Client) -> None:
    # [doc] operations/Project: POST /kases {"kase": {...}} -> 201 and Location; the create
    # example sends "stage": 149 and answers "stage": {"name", "id"}; status OPEN or CLOSED
    brief = capsule_stage(http, board(http), "Project Brief")
    response = http.post(
        "/kases",
        json={"kase": {"name": "Consulting", "party": {"id": 892}, "owner": 1, "stage": brief}},
    )
    assert response.status_code == 201, response.text
    created = response.json()["kase"]
    assert response.headers["Location"].endswith(f"/api/v2/kases/{created['id']}")
    assert created["stage"] == {"id": brief, "name": "Project Brief"}
    assert created["status"] == "OPEN"  # [seen] the default when omitted
    assert created["closedOn"] is None
    assert http.get(f"/kases/{created['id']}").json()["kase"] == created
    assert "stage" not in kase(http, None)  # [guess] absent when on no stage


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"party": {"id": 1}, "owner": 1}, "name"),  # [doc] name is required
        ({"name": "x", "owner": 1}, "party"),  # [doc] party is required
        ({"name": "x", "party": 1}, "owner"),  # [doc] owner and/or team; [seen] the message
        ({"name": "x", "party": 1, "owner": 1, "status": "DONE"}, "status"),
        ({"name": "x", "party": 1, "owner": 1, "stage": 999}, "stage"),
        ({"name": "x", "party": 1, "owner": 1, "board": 1}, "board"),  # no such field
    ],
)
def test_a_project_create_is_validated(
    http: httpx.Client, body: dict[str, Any], field: str
) -> None:
    refused = http.post("/kases", json={"kase": body})
    assert refused.status_code == 422, refused.text
    assert refused.json()["message"] == "Validation Failed"
    assert refused.json()["errors"][0]["field"] == field


def test_the_filter_query_lists_the_open_projects_on_a_stage_in_pages(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    # [doc] operations/Filter: POST /kases/filters/results, paged like the list (perPage up to
    # 100, Link rel="next"), answered {"kases": [...]}; reference/filters: project fields stage
    # and isOpen
    projects = board(http)
    brief, done = capsule_stage(http, projects, "Brief"), capsule_stage(http, projects, "Done")
    open_ids = [int(i) for i in service(capsule).put_records(str(brief), 105)]
    closed = kase(http, brief, status="CLOSED")
    service(capsule).put_records(str(done), 2)
    found: list[int] = []
    url: str | None = "/kases/filters/results?perPage=100"
    pages = 0
    while url:
        response = http.post(url, json=on_stage(brief))
        assert response.status_code == 200, response.text
        found += [k["id"] for k in response.json()["kases"]]
        pages += 1
        url = response.links.get("next", {}).get("url")
    assert (pages, found) == (2, open_ids)
    closed_only = on_stage(brief, open_only=False)
    closed_only["filter"]["conditions"].append(
        {"field": "status", "operator": "is", "value": "closed"}
    )
    every = http.post("/kases/filters/results", json=closed_only)
    assert [k["id"] for k in every.json()["kases"]] == [closed["id"]]
    by_name = http.post(
        "/kases/filters/results",
        json={"filter": {"conditions": [{"field": "stage", "operator": "is", "value": "done"}]}},
    )
    assert len(by_name.json()["kases"]) == 2  # [guess] a text value names the stage
    assert service(capsule).records_in(str(brief)) == 105


def test_the_project_list_pages_with_link_headers_and_holds_closed_ones(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    # [doc] GET /kases: page, perPage 1..100, Link header; every project of the account
    brief = capsule_stage(http, board(http), "Brief")
    service(capsule).put_records(str(brief), 3)
    kase(http, brief, status="CLOSED")
    first = http.get("/kases", params={"perPage": "3"})
    assert len(first.json()["kases"]) == 3
    rest = http.get(first.links["next"]["url"]).json()["kases"]
    assert [k["status"] for k in rest] == ["CLOSED"]
    assert http.get("/kases", params={"perPage": "101"}).status_code == 400


def test_put_moves_a_project_along_its_board_only(http: httpx.Client) -> None:
    # [doc] PUT /kases/{id} {"kase": {...}}: fields not given stay; [guess] a stage of another
    # board is refused with 422; [seen] stage null takes the project off every stage
    projects, sales = board(http, "Projects"), board(http, "Sales")
    brief, done = capsule_stage(http, projects, "Brief"), capsule_stage(http, projects, "Done")
    lead = capsule_stage(http, sales, "Lead")
    project = kase(http, brief)
    moved = http.put(f"/kases/{project['id']}", json={"kase": {"stage": {"id": done}}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["kase"]["stage"] == {"id": done, "name": "Done"}
    assert moved.json()["kase"]["name"] == "Consulting"
    across = http.put(f"/kases/{project['id']}", json={"kase": {"stage": lead}})
    assert across.status_code == 422
    assert across.json()["errors"][0]["field"] == "stage"
    off = http.put(f"/kases/{project['id']}", json={"kase": {"stage": None}}).json()["kase"]
    assert "stage" not in off
    back = http.put(f"/kases/{project['id']}", json={"kase": {"stage": lead}})
    assert back.status_code == 200  # on no board, any board's stage will do
    closed = http.put(f"/kases/{project['id']}", json={"kase": {"status": "CLOSED"}}).json()
    assert closed["kase"]["status"] == "CLOSED" and closed["kase"]["closedOn"]
    assert http.put("/kases/999", json={"kase": {"name": "x"}}).status_code == 404


def test_a_stage_with_an_open_project_cannot_be_deleted_until_it_closes(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    # api-notes.md: refused while the stage is used on an open project [guess: 422 and the
    # wording]; [guess] a closed project does not block it, and is left on no stage
    brief = capsule_stage(http, board(http), "Brief")
    project = kase(http, brief)
    refused = http.delete(f"/stages/{brief}")
    assert refused.status_code == 422
    assert refused.json()["message"] == (
        "Stage is used by 1 open project(s); move or close them before deleting the stage"
    )
    http.put(f"/kases/{project['id']}", json={"kase": {"status": "CLOSED"}})
    assert service(capsule).records_in(str(brief)) == 0
    assert http.delete(f"/stages/{brief}").status_code == 204
    assert "stage" not in http.get(f"/kases/{project['id']}").json()["kase"]


def test_the_admin_routes_make_and_close_real_projects(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    brief = capsule_stage(http, board(http), "Brief")
    admin = f"{capsule.root_url}/_emulator/capsule/stages/{brief}/projects"
    assert httpx.put(admin, json={"open": 2}).status_code == 204
    listed = http.get("/kases").json()["kases"]
    assert [(k["status"], k["stage"]["id"]) for k in listed] == [("OPEN", brief)] * 2
    added = httpx.post(admin, json={"count": 2})
    assert added.status_code == 201
    assert httpx.get(admin).json() == {
        "open": 4,
        "ids": [k["id"] for k in listed] + added.json()["ids"],
    }
    assert httpx.put(admin, json={"open": 1}).status_code == 204
    assert [k["status"] for k in http.get("/kases").json()["kases"]] == ["OPEN"] + ["CLOSED"] * 3
    assert httpx.put(admin, json={"open": 0}).status_code == 204
    assert http.delete(f"/stages/{brief}").status_code == 204
    assert httpx.put(admin, json={"open": 1}).status_code == 404


def test_a_stage_s_open_projects_attribute_still_adds_and_closes_projects() -> None:
    # tests written before projects existed set `stage.open_projects`; it now makes projects
    state = CapsuleState()
    stage = state.create_stage({"name": "Brief", "board": state.create_board("P").id})
    stage.open_projects = 2
    assert len(state.project_listing()) == 2 and stage.open_projects == 2
    stage.open_projects = 0
    assert stage.open_projects == 0
    state.delete_stage(stage.id)


def test_projects_need_no_administrator_but_stages_do(
    capsule: EmulatorServer, http: httpx.Client
) -> None:
    # [doc] the Stage and Board operations need the Administrator role; Project's name none
    brief = capsule_stage(http, board(http), "Brief")
    service(capsule).add_token("tok-user", admin=False, user_id=2)
    user = {"Authorization": "Bearer tok-user"}
    body = {"kase": {"name": "x", "party": 1, "owner": 2, "stage": brief}}
    assert http.post("/kases", json=body, headers=user).status_code == 201
    query = http.post("/kases/filters/results", json=on_stage(brief), headers=user)
    assert query.status_code == 200 and len(query.json()["kases"]) == 1
    assert http.delete(f"/stages/{brief}", headers=user).status_code == 403


def test_the_filter_refuses_what_it_does_not_run(http: httpx.Client) -> None:
    assert http.post("/kases/filters/results", json={"conditions": []}).status_code == 400
    for condition in (
        {"field": "tag", "operator": "is", "value": "VIP"},  # [doc] a field; not emulated
        {"field": "stage", "operator": "is within last", "value": 7},  # a date operator
        {"field": "isOpen", "operator": "is", "value": "yes"},  # Boolean field
        {"conditions": []},  # [guess] nested "or" groups are not emulated
    ):
        refused = http.post("/kases/filters/results", json={"filter": {"conditions": [condition]}})
        assert refused.status_code == 422, condition
        assert refused.json()["message"] == "Validation Failed"


def test_capsule_state_keeps_projects_across_export_and_the_older_form() -> None:
    state = CapsuleState()
    stage = state.create_stage({"name": "Brief", "board": state.create_board("P").id})
    ids = state.put_projects(stage.id, 2)
    again = CapsuleState()
    again.import_state(state.export_state())
    assert [p.id for p in again.open_projects_on(stage.id)] == ids
    assert again.stages[stage.id].open_projects == 2
    older = CapsuleState()
    exported = state.export_state()
    exported["projects"] = []
    exported["stages"][0]["open_projects"] = 3
    older.import_state(exported)
    assert len(older.open_projects_on(stage.id)) == 3
