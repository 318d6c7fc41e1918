"""Searches keep to their own per-second limit ([doc] "the search endpoints are rate limited to
five requests per second per authentication token"), which no header reports: the provider's
threads share one pace per account, so a burst of counts meets no 429 at all."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from pulumi_stages.core.account import Account
from pulumi_stages.core.http import Endpoint
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotService
from pulumi_stages.hubspot.api import DEALS, HubSpotDialect, HubSpotStages
from pulumi_stages.hubspot.pacing import search_pace


def test_twelve_counts_on_four_threads_meet_no_search_429(token: str) -> None:
    service = HubSpotService(token=token)
    service.put_records("qualifiedtobuy", 3)
    with EmulatorServer(service) as server:
        account = Account(Endpoint("HubSpot", server.base_url, token), HubSpotDialect())
        stages = HubSpotStages(account, DEALS, "dealstage")
        with ThreadPoolExecutor(max_workers=4) as pool:
            counts = list(pool.map(stages.count_records, ["qualifiedtobuy"] * 12))
        account.client.close()
    assert {c.count for c in counts} == {3}
    assert server.log.count("POST") == 12  # each search sent once: none bounced
    assert service.search_limit.refused == 0


def test_the_pace_is_per_account() -> None:
    first, second = (
        Account(Endpoint("HubSpot", f"http://127.0.0.1:9/{n}", "t"), HubSpotDialect())
        for n in (1, 2)
    )
    started = time.monotonic()
    waits = [search_pace(first).wait() for _ in range(5)]
    assert time.monotonic() - started >= 0.95 and waits[0] == 0
    assert search_pace(second).wait() == 0
