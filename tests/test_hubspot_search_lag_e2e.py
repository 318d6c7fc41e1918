"""[doc] HubSpot's search results can lag a few seconds behind writes. The emulator's
`search_consistent=False` models that lag; the provider never takes a zero from search as empty
without confirming it from the records themselves, and never moves a record twice while the
index still shows it in its old stage."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from pulumi import automation as auto

from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness
from tests.module_stack import SharedStack, Start, shared_stack_fixture

pytestmark = pytest.mark.e2e

OBJECTS = "/crm/objects/2026-03/deals"


def deals(names: list[str], retired: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    stages = [{"name": n, "probability": 0.5} for n in names]
    pipeline: dict[str, Any] = {"name": "Sales", "stages": stages}
    if retired:
        pipeline["retired"] = retired
    return {"hubspot": {"deals": [pipeline]}}


def use(stack: StackHarness, spec: dict[str, Any]) -> None:
    stack.program = lambda: StageSet("pipeline", spec) and None


shared = shared_stack_fixture(lambda t: HubSpotService(token=t), "hubspot")


@pytest.fixture(scope="module")
def lead_and_won(shared: SharedStack) -> Start:
    """The start of every test here: a deal pipeline of Lead and Won, made by `up`."""
    harness = shared.fresh()
    use(harness, deals(["Lead", "Won"]))
    harness.up()
    return shared.save("lead-and-won")


@pytest.fixture
def stack(shared: SharedStack, lead_and_won: Start) -> StackHarness:
    """The module's stack after the `up` of Lead and Won (restored, no engine run)."""
    harness = shared.restore(lead_and_won)
    use(harness, deals(["Lead", "Won"]))
    return harness


def test_the_saved_start_of_lead_and_won_is_what_an_up_from_empty_makes(
    shared: SharedStack, lead_and_won: Start
) -> None:
    """The start every test here restores was made by an `up` that did its usual requests."""
    pipelines = "/crm/pipelines/2026-09/{objectType}"
    assert lead_and_won.counts() == {f"GET {pipelines}": 2, f"POST {pipelines}": 1}
    stack = shared.restore(lead_and_won)
    assert [n for n, _ in service_of(stack).live_stages()] == ["Lead", "Won"]


def service_of(stack: StackHarness) -> HubSpotService:
    return stack.emulator.service  # type: ignore[return-value]


def lag(stack: StackHarness, seconds: float) -> None:
    options = service_of(stack).state.options
    options.search_consistent = False
    options.search_lag_seconds = seconds


def search(http: httpx.Client, stage: str) -> dict[str, Any]:
    query = {
        "filterGroups": [
            {"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": stage}]}
        ],
        "limit": 10,
    }
    result: dict[str, Any] = http.post(f"{OBJECTS}/search", json=query).json()
    return result


def test_the_emulator_search_index_lags_writes_when_asked(
    stack: StackHarness, shared: SharedStack
) -> None:
    token = shared.token
    ids = dict(service_of(stack).live_stages())
    lag(stack, 3.0)  # long enough for a loaded machine to search before the index catches up
    made = service_of(stack).put_records(ids["Lead"], 2)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.emulator.base_url, headers=headers) as http:
        assert search(http, ids["Lead"])["total"] == 0  # not indexed yet
        listed = http.get(OBJECTS, params={"limit": 100}).json()["results"]
        assert sorted(r["id"] for r in listed) == sorted(made)  # the list is never behind
        time.sleep(3.1)
        assert search(http, ids["Lead"])["total"] == 2
        move = {"properties": {"dealstage": ids["Won"]}}
        assert http.patch(f"{OBJECTS}/{made[0]}", json=move).status_code == 200
        assert search(http, ids["Lead"])["total"] == 2  # the index still has the old stage
        time.sleep(3.1)
        assert search(http, ids["Lead"])["total"] == 1


def test_a_zero_from_a_lagging_search_never_lets_a_stage_with_deals_go(
    stack: StackHarness,
) -> None:
    lead = dict(service_of(stack).live_stages())["Lead"]
    lag(stack, 600.0)
    service_of(stack).put_records(lead, 3)  # search shows none of them for now
    stack.emulator.log.reset()
    use(stack, deals(["Won"]))
    with pytest.raises(auto.CommandError) as refused:
        stack.up()
    assert f"HubSpot stage 'Lead' (id {lead}) holds at least 3 deals; nothing was deleted." in str(
        refused.value
    )
    assert [e for e in stack.emulator.log.entries() if e.method == "DELETE"] == []
    assert service_of(stack).records_in(lead) == 3


def test_moving_deals_under_a_lagging_index_moves_each_deal_once(stack: StackHarness) -> None:
    ids = dict(service_of(stack).live_stages())
    service_of(stack).put_records(ids["Lead"], 12)  # indexed: search finds all 12
    lag(stack, 600.0)  # the moves are not seen by search during this run
    stack.emulator.log.reset()
    use(stack, deals(["Won"], [{"name": "Lead", "moved_to": "Won"}]))
    stack.up()
    batches = [w.body for w in stack.emulator.log.writes() if w.path.endswith("/batch/update")]
    moved_ids = [i["id"] for body in batches for i in body["inputs"]]
    assert len(moved_ids) == 12 and len(set(moved_ids)) == 12  # each deal moved once
    assert service_of(stack).records_in(ids["Won"]) == 12
    assert "Lead" not in dict(service_of(stack).live_stages())
    orders = stack.state_outputs("DealStageOrder").values()  # the set's order retires it
    assert [o.get("moved_records") for o in orders] == [{"Lead": 12}]
