"""Retries, rate limits and ambiguous writes at the HTTP level, against injected emulator faults."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from pulumi_stages import RateLimited, ServerError, TransportError
from pulumi_stages.core import http
from pulumi_stages.core.http import ApiClient, Endpoint, RetryPolicy
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.outreach.api import OutreachDialect, OutreachStages

FAST = RetryPolicy(attempts=4, backoff_initial=0.01, backoff_max=0.05, max_server_wait=5.0)


@pytest.fixture
def api(outreach: EmulatorServer, token: str) -> Iterator[OutreachStages]:
    client = ApiClient(Endpoint("Outreach", outreach.base_url, token), OutreachDialect(), FAST)
    yield OutreachStages(client)
    client.close()


def seed(outreach: EmulatorServer) -> str:
    return str(outreach.service.state.create({"name": "Lead"}).id)  # type: ignore[attr-defined]


def test_every_response_reports_the_rate_budget(
    outreach: EmulatorServer, api: OutreachStages
) -> None:
    stage_id = seed(outreach)
    response = api.client.request("GET", f"/stages/{stage_id}")
    assert response.headers["X-RateLimit-Limit"] == "10000"
    assert response.headers["X-RateLimit-Remaining"] == "9999"
    assert int(response.headers["X-RateLimit-Reset"]) > 0


@pytest.mark.parametrize(
    "fault",
    [
        Fault(FaultKind.STATUS, count=2, status=500),
        Fault(FaultKind.STATUS, count=2, status=503, retry_after=0),
        Fault(FaultKind.STATUS, count=2, status=429, retry_after=0),
        Fault(FaultKind.STATUS, count=2, status=429),
        Fault(FaultKind.DROP, count=2),
        Fault(FaultKind.LATENCY, count=1, delay=0.2),
    ],
    ids=["500", "503-retry-after", "429-retry-after", "429-bare", "drop", "latency"],
)
def test_reads_recover_from_transient_faults(
    outreach: EmulatorServer, api: OutreachStages, fault: Fault
) -> None:
    stage_id = seed(outreach)
    expected_gets = 1 if fault.kind is FaultKind.LATENCY else 1 + fault.count
    outreach.faults.add(fault)
    remote = api.read(stage_id)
    assert remote is not None and remote.outs["name"] == "Lead"
    assert outreach.log.count("GET") == expected_gets
    assert outreach.faults.pending() == 0


def test_patch_is_retried_after_a_commit_whose_answer_was_lost(
    outreach: EmulatorServer, api: OutreachStages
) -> None:
    stage_id = seed(outreach)
    outreach.faults.add(Fault(FaultKind.COMMIT_THEN_DROP, method="PATCH"))
    remote = api.update(stage_id, {"name": "Qualified"})
    assert remote.outs["name"] == "Qualified"
    assert outreach.log.count("PATCH") == 2


def test_delete_whose_answer_was_lost_still_succeeds(
    outreach: EmulatorServer, api: OutreachStages
) -> None:
    stage_id = seed(outreach)
    outreach.faults.add(Fault(FaultKind.COMMIT_THEN_DROP, method="DELETE"))
    api.delete(stage_id)
    assert outreach.log.count("DELETE") == 2
    assert outreach.service.state.listing() == []  # type: ignore[attr-defined]


def test_post_is_not_blindly_retried_after_a_dropped_answer(
    outreach: EmulatorServer, api: OutreachStages
) -> None:
    outreach.faults.add(Fault(FaultKind.COMMIT_THEN_DROP, method="POST"))
    with pytest.raises(TransportError):
        api.create({"name": "Lead"})
    assert outreach.log.count("POST") == 1
    assert len(outreach.service.state.listing()) == 1  # type: ignore[attr-defined]


def test_persistent_server_errors_end_in_one_line(
    outreach: EmulatorServer, api: OutreachStages
) -> None:
    stage_id = seed(outreach)
    outreach.faults.add(Fault(FaultKind.STATUS, count=10, status=500))
    with pytest.raises(ServerError) as failure:
        api.read(stage_id)
    assert str(failure.value) == (
        f"Outreach rejected GET /stages/{stage_id}: Something went wrong. (500 internalServerError)"
    )
    assert outreach.log.count("GET") == FAST.attempts


def test_the_wait_after_a_first_failure_is_the_one_the_server_asked_for(
    outreach: EmulatorServer, api: OutreachStages, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt is sent outside tenacity (which loads only once a call fails), then
    handed to it as attempt 1: it waits as the server asked, and counts that attempt."""
    waits: list[tuple[int, float]] = []

    def recorded(state: Any, policy: RetryPolicy) -> float:
        waits.append((state.attempt_number, http.wait_for(state, policy)))
        return 0.0

    monkeypatch.setattr(ApiClient, "_wait", lambda self, state: recorded(state, self.retry))
    outreach.faults.add(Fault(FaultKind.STATUS, count=3, status=503, retry_after=2))
    stage_id = seed(outreach)
    assert api.read(stage_id) is not None
    assert [attempt for attempt, _ in waits] == [1, 2, 3]
    # Outreach sends the reset as a timestamp in whole seconds: 2 s reads as 1 to 3
    assert all(1 <= wait <= 3 for _, wait in waits), waits
    assert outreach.log.count("GET") == 4


def test_a_wait_longer_than_the_cap_fails_clearly_instead_of_hanging(
    outreach: EmulatorServer, api: OutreachStages
) -> None:
    outreach.faults.add(Fault(FaultKind.STATUS, count=1, status=429, retry_after=3600))
    with pytest.raises(RateLimited) as failure:
        api.read(seed(outreach))
    assert "(429 rateLimitExceeded)" in str(failure.value)
    # Outreach sends the reset time as a timestamp (whole seconds), not a number of seconds
    assert failure.value.retry_after is not None
    assert 3598 <= failure.value.retry_after <= 3601
    assert outreach.log.count("GET") == 1


def test_parallel_threads_share_the_budget_and_stay_under_it(
    outreach: EmulatorServer, api: OutreachStages
) -> None:
    stage_id = seed(outreach)
    outreach.budget.configure(limit=5, window_seconds=1.0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: api.read(stage_id), range(16)))
    assert all(r is not None for r in results)
    assert outreach.budget.refused == 0, "threads should wait for the reset, not bounce off 429s"
    assert api.client.budget.waited > 0


def test_admin_api_queues_faults_over_http(outreach: EmulatorServer, token: str) -> None:
    stage_id = seed(outreach)
    admin = f"{outreach.root_url}/_emulator"
    assert httpx.post(f"{admin}/faults", json={"kind": "status", "status": 503}).status_code == 204
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    response = httpx.get(f"{outreach.base_url}/stages/{stage_id}", headers=headers)
    assert response.status_code == 503
    assert response.json()["errors"][0]["id"] == "scheduledServerMaintenance"
    assert httpx.get(f"{outreach.base_url}/stages/{stage_id}", headers=headers).status_code == 200
