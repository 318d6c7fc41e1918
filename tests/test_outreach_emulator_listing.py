"""The Outreach emulator's `GET /stages`: cursor paging, filters, sort, sparse fields, meta."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.api import JSON_API


@pytest.fixture
def get(outreach: EmulatorServer, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": JSON_API}

    def fetch(url: str, **params: str) -> dict[str, Any]:
        target = url if url.startswith("http") else f"{outreach.base_url}{url}"
        response = httpx.get(target, params=params or None, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    return fetch


@pytest.fixture
def seeded(outreach: EmulatorServer) -> EmulatorServer:
    for i in range(120):
        outreach.service.state.create(  # type: ignore[attr-defined]
            {"name": f"Stage {i:03}", "order": 119 - i, "color": "#000000"}
        )
    return outreach


def test_default_page_is_50_and_next_links_walk_every_page(
    seeded: EmulatorServer, get: Any
) -> None:
    document = get("/stages")
    seen = [s["id"] for s in document["data"]]
    assert len(seen) == 50
    assert "prev" not in document["links"]
    pages = 1
    while "next" in document["links"]:
        document = get(document["links"]["next"])
        seen += [s["id"] for s in document["data"]]
        pages += 1
        assert "prev" in document["links"]
    assert pages == 3
    assert seen == list(range(1, 121))


def test_page_size_and_count(seeded: EmulatorServer, get: Any) -> None:
    document = get("/stages", **{"page[size]": "25", "count": "true"})
    assert len(document["data"]) == 25
    assert document["meta"] == {"count": 120}
    assert "after" in document["links"]["next"]


def test_filters_by_name_id_list_and_order_range(seeded: EmulatorServer, get: Any) -> None:
    assert [s["id"] for s in get("/stages", **{"filter[name]": "Stage 007"})["data"]] == [8]
    assert [s["id"] for s in get("/stages", **{"filter[id]": "3,5,9"})["data"]] == [3, 5, 9]
    in_range = get("/stages", **{"filter[order]": "10..12"})["data"]
    assert sorted(s["attributes"]["order"] for s in in_range) == [10, 11, 12]
    open_low = get("/stages", **{"filter[order]": "-inf..1"})["data"]
    assert sorted(s["attributes"]["order"] for s in open_low) == [0, 1]


def test_filter_by_updated_at_range(seeded: EmulatorServer, get: Any) -> None:
    everything = get("/stages", **{"filter[updatedAt]": "2000-01-01..inf", "count": "true"})
    assert everything["meta"]["count"] == 120
    nothing = get("/stages", **{"filter[updatedAt]": "neginf..2000-01-01", "count": "true"})
    assert nothing["meta"]["count"] == 0


def test_sort_ascending_and_descending(seeded: EmulatorServer, get: Any) -> None:
    ascending = get("/stages", sort="order", **{"page[size]": "3"})["data"]
    assert [s["attributes"]["order"] for s in ascending] == [0, 1, 2]
    descending = get("/stages", sort="-name", **{"page[size]": "2"})["data"]
    assert [s["attributes"]["name"] for s in descending] == ["Stage 119", "Stage 118"]


def test_sorted_listing_pages_keep_the_sort(seeded: EmulatorServer, get: Any) -> None:
    document = get("/stages", sort="order", **{"page[size]": "50"})
    orders = [s["attributes"]["order"] for s in document["data"]]
    while "next" in document["links"]:
        document = get(document["links"]["next"])
        orders += [s["attributes"]["order"] for s in document["data"]]
    assert orders == list(range(120))


def test_sparse_fieldsets_and_authorization_meta(seeded: EmulatorServer, get: Any) -> None:
    stage = get("/stages", **{"fields[stage]": "name,order", "provideAuthorizationMeta": "true"})[
        "data"
    ][0]
    assert set(stage["attributes"]) == {"name", "order"}
    assert stage["meta"] == {"canWrite": True, "canDelete": True}
    assert stage["relationships"]["creator"] == {"data": {"type": "user", "id": 1}}
    assert stage["links"]["self"].endswith(f"/api/v2/stages/{stage['id']}")


def test_an_undocumented_filter_is_a_bad_request(seeded: EmulatorServer, token: str) -> None:
    # [doc] the stage OpenAPI marks name, order, createdAt, updatedAt filterable; not color
    response = httpx.get(
        f"{seeded.base_url}/stages",
        params={"filter[color]": "#000000"},
        headers={"Authorization": f"Bearer {token}", "Content-Type": JSON_API},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["id"] == "badRequest"
