"""The Outreach client and error mapping against the emulator over real HTTP (no Pulumi engine)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from pulumi_stages import NotFound, TransportError, Unauthorized, ValidationFailed
from pulumi_stages.core.http import ApiClient, Endpoint, RetryPolicy
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.api import JSON_API, OutreachDialect, OutreachStages


def client_for(server: EmulatorServer, token: str) -> ApiClient:
    return ApiClient(Endpoint("Outreach", server.base_url, token), OutreachDialect())


@pytest.fixture
def api(outreach: EmulatorServer, token: str) -> Iterator[OutreachStages]:
    client = client_for(outreach, token)
    yield OutreachStages(client)
    client.close()


def test_create_returns_the_stage_as_state(api: OutreachStages, outreach: EmulatorServer) -> None:
    remote = api.create({"name": "Lead", "color": "#5951ff", "order": 10})
    assert remote.id == "1"
    assert remote.outs["stage_id"] == 1
    assert remote.outs["name"] == "Lead"
    assert remote.outs["created_at"].endswith("Z")
    [post] = outreach.log.entries()
    assert post.body == {
        "data": {"type": "stage", "attributes": {"name": "Lead", "color": "#5951ff", "order": 10}}
    }


def test_create_leaves_out_fields_left_to_the_api(
    api: OutreachStages, outreach: EmulatorServer
) -> None:
    api.create({"name": "Lead", "color": None, "order": None})
    assert outreach.log.entries()[0].body["data"]["attributes"] == {"name": "Lead"}


def test_update_sends_type_integer_id_and_only_the_changes(
    api: OutreachStages, outreach: EmulatorServer
) -> None:
    created = api.create({"name": "Lead", "color": "#5951ff", "order": 10})
    outreach.log.reset()
    updated = api.update(created.id, {"color": "#000000"})
    assert updated.outs["color"] == "#000000"
    assert updated.outs["name"] == "Lead"
    [patch] = outreach.log.entries()
    assert patch.body == {"data": {"type": "stage", "id": 1, "attributes": {"color": "#000000"}}}


def test_read_of_a_missing_stage_is_none(api: OutreachStages) -> None:
    assert api.read("404") is None


def test_delete_of_a_missing_stage_succeeds(api: OutreachStages, outreach: EmulatorServer) -> None:
    api.delete("77")
    assert outreach.log.counts() == {"DELETE /api/v2/stages/{id}": 1}


def test_listing_follows_next_links_across_pages(
    api: OutreachStages, outreach: EmulatorServer
) -> None:
    for i in range(120):
        outreach.service.state.create({"name": f"Stage {i}"})  # type: ignore[attr-defined]
    names = [record.name for record in api.list(page_size=50)]
    assert names == [f"Stage {i}" for i in range(120)]
    assert outreach.log.counts() == {"GET /api/v2/stages": 3}


def test_validation_error_is_one_line_naming_the_field(api: OutreachStages) -> None:
    created = api.create({"name": "Lead"})
    with pytest.raises(ValidationFailed) as failure:
        api.update(created.id, {"name": " "})
    assert str(failure.value) == (
        "Outreach rejected PATCH /stages/1: name: Name can't be blank. (422 validationError)"
    )
    assert failure.value.status == 422


def test_too_long_name_is_refused_by_the_emulator(api: OutreachStages) -> None:
    with pytest.raises(ValidationFailed) as failure:
        api.create({"name": "x" * 256})
    assert failure.value.code == "validationDataTooLongError"
    assert "name: Name is too long" in str(failure.value)


def test_wrong_token_is_unauthorized_without_echoing_it(outreach: EmulatorServer) -> None:
    wrong = "tok-wrong-secret-value"
    client = client_for(outreach, wrong)
    with pytest.raises(Unauthorized) as failure:
        OutreachStages(client).read("1")
    text = str(failure.value)
    assert text.startswith("Outreach rejected GET /stages/1: ")
    assert "(401 unauthorized); check outreach:accessToken" in text
    assert wrong not in text
    assert wrong not in repr(client.endpoint)


def test_emulator_refuses_other_content_types_with_415(
    outreach: EmulatorServer, token: str
) -> None:
    response = httpx.post(
        f"{outreach.base_url}/stages",
        json={"data": {"type": "stage", "attributes": {"name": "Lead"}}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 415
    assert OutreachDialect().error_details(response) == (
        "Expected Content-Type header to be 'application/vnd.api+json'.",
        "unsupportedMediaType",
    )


def test_the_client_sends_the_json_api_content_type_on_every_request(
    api: OutreachStages, outreach: EmulatorServer
) -> None:
    """The emulator serves a bodiless GET without it (as the real API does), so only the
    request log can keep the client sending it ([doc] "All requests must specify" it)."""
    created = api.create({"name": "Lead", "color": "#5951ff", "order": 10})
    api.read(created.id)
    list(api.list_all())
    api.update(created.id, {"color": "#000000"})
    api.delete(created.id)
    methods = {entry.method for entry in outreach.log.entries()}
    assert methods == {"POST", "GET", "PATCH", "DELETE"}
    assert {entry.content_type for entry in outreach.log.entries()} == {JSON_API}


def test_emulator_answers_404_in_json_api_form(outreach: EmulatorServer, token: str) -> None:
    response = httpx.get(
        f"{outreach.base_url}/stages/9",
        headers={"Authorization": f"Bearer {token}", "Content-Type": JSON_API},
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith(JSON_API)
    assert response.json()["errors"][0]["id"] == "resourceNotFound"


def test_not_found_maps_to_its_own_error(api: OutreachStages) -> None:
    with pytest.raises(NotFound):
        api.client.request("PATCH", "/stages/5", json={"data": {"type": "stage", "id": 5}})


def test_unreachable_api_is_one_line_without_the_token(token: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = Endpoint("Outreach", f"http://127.0.0.1:{port}/api/v2", token)
    client = ApiClient(endpoint, OutreachDialect(), RetryPolicy(attempts=2, backoff_initial=0.01))
    with pytest.raises(TransportError) as failure:
        OutreachStages(client).read("1")
    text = str(failure.value)
    tried = f"http://127.0.0.1:{port}/api/v2"
    assert text.startswith(f"Outreach at {tried} did not answer GET /stages/1: ")
    assert "\n" not in text
    assert token not in text
