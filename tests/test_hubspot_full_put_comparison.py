"""A model of the full-PUT request pattern, replayed by hand on the emulator: NOT a measurement of
any provider. The requests below are written by this test to follow the pattern of
jbunting/terraform-provider-hubspot's pipeline resource as read from its source (Create: POST;
Read: GET of the pipeline, before every plan; Update: PUT of the whole pipeline with every stage,
deletes validated); that provider is never run, so the counts asserted are the model's own.

The README's HubSpot table puts this model beside the stage set's measured counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService

DEALS = "/crm/v3/pipelines/deals"
VALIDATE = {"validateReferencesBeforeDelete": "true", "validateDealStageUsagesBeforeDelete": "true"}


@pytest.fixture
def hubspot(token: str) -> Iterator[EmulatorServer]:
    with EmulatorServer(HubSpotService(token=token)) as server:
        yield server


@pytest.fixture
def http(hubspot: EmulatorServer, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=hubspot.base_url, headers=headers) as client:
        yield client


def config(names: list[str], ids: dict[str, str] | None = None) -> dict[str, Any]:
    """The whole pipeline as such a resource sends it: every stage, display order by position."""
    stages = []
    for i, name in enumerate(names):
        stage: dict[str, Any] = {
            "label": name,
            "displayOrder": i,
            "metadata": {"probability": "0.5"},
        }
        if ids and name in ids:
            stage["stageId"] = ids[name]
        stages.append(stage)
    return {"label": "Sales", "displayOrder": 0, "stages": stages}


def step(hubspot: EmulatorServer) -> dict[str, int]:
    counts = dict(hubspot.log.counts())
    hubspot.log.reset()
    return counts


def test_a_full_put_pipeline_resource_rewrites_every_stage_for_each_change(
    hubspot: EmulatorServer, http: httpx.Client
) -> None:
    names = [f"Stage {i}" for i in range(10)]
    created = http.post(DEALS, json=config(names)).json()
    assert step(hubspot) == {"POST /crm/v3/pipelines/{objectType}": 1}
    pid = created["id"]
    ids = {s["label"]: s["id"] for s in created["stages"]}
    one = "/crm/v3/pipelines/{objectType}/{pipelineId}"

    http.get(f"{DEALS}/{pid}")  # a no-op plan and apply: the refresh
    assert step(hubspot) == {f"GET {one}": 1}

    names.insert(2, names.pop(8))  # move one stage: every stage goes out again
    http.get(f"{DEALS}/{pid}")
    http.put(f"{DEALS}/{pid}", params=VALIDATE, json=config(names, ids)).raise_for_status()
    [put] = [e for e in hubspot.log.entries() if e.method == "PUT"]
    assert len(put.body["stages"]) == 10  # one moved, ten written
    assert step(hubspot) == {f"GET {one}": 1, f"PUT {one}": 1}

    hubspot.service.put_records(ids["Stage 5"], 12)  # remove a stage 12 deals use
    kept = [n for n in names if n != "Stage 5"]
    http.get(f"{DEALS}/{pid}")
    refused = http.put(f"{DEALS}/{pid}", params=VALIDATE, json=config(kept, ids))
    assert refused.status_code == 400 and "in use by 12 deals" in refused.json()["message"]
    assert step(hubspot) == {f"GET {one}": 1, f"PUT {one}": 1}
    # without the flags (v3's default) the same PUT deletes the stage and strands its deals
    http.put(f"{DEALS}/{pid}", json=config(kept, ids)).raise_for_status()
    assert ids["Stage 5"] not in {s["id"] for s in http.get(f"{DEALS}/{pid}").json()["stages"]}
    assert hubspot.service.records_in(ids["Stage 5"]) == 12

    hundred = http.post(DEALS, json={**config([f"S{i}" for i in range(100)]), "label": "Big"})
    hubspot.log.reset()
    http.get(f"{DEALS}/{hundred.json()['id']}")  # a refresh of 100 stages
    assert step(hubspot) == {f"GET {one}": 1}


def test_a_put_keeps_named_stages_relabels_them_and_makes_the_new_ones(http: httpx.Client) -> None:
    created = http.post(DEALS, json=config(["A", "B"])).json()
    ids = {s["label"]: s["id"] for s in created["stages"]}
    body = config(["B", "A", "C"], ids)
    body["stages"][0]["label"], body["stages"][1]["label"] = "A", "B"  # a swap of labels
    body["stages"][0]["stageId"], body["stages"][1]["stageId"] = ids["B"], ids["A"]
    answer = http.put(f"{DEALS}/{created['id']}", json=body).json()
    by_id = {s["id"]: s["label"] for s in answer["stages"]}
    assert by_id[ids["B"]] == "A" and by_id[ids["A"]] == "B"
    assert [s["label"] for s in answer["stages"]] == ["A", "B", "C"]
