"""An API client makes its TLS context (the CA bundle, ~0.08 CPU-s) only for an https request:
every provider process makes a client, and one that only speaks plain http to a loopback
emulator never needs it; an https request still verifies certificates."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_stages.core.http import ApiClient, Endpoint
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.api import OutreachDialect, OutreachStages

ssl_contexts_made = httpx._transports.default.create_ssl_context


@pytest.fixture
def verifying_contexts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ssl.SSLContext]]:
    """Every TLS context httpx's transports make that checks certificates."""
    made: list[ssl.SSLContext] = []

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = ssl_contexts_made(*args, **kwargs)
        if context.verify_mode != ssl.CERT_NONE:
            made.append(context)
        return context

    monkeypatch.setattr(httpx._transports.default, "create_ssl_context", counted)
    yield made


def test_a_client_of_a_plain_http_emulator_loads_no_ca_bundle(
    verifying_contexts: list[ssl.SSLContext], outreach: EmulatorServer, token: str
) -> None:
    client = ApiClient(Endpoint("Outreach", outreach.base_url, token), OutreachDialect())
    try:
        assert list(OutreachStages(client).list_all()) == []  # a real round trip over http
        assert outreach.log.count("GET") >= 1
    finally:
        client.close()
    assert verifying_contexts == []


def test_an_https_request_still_verifies_certificates(
    verifying_contexts: list[ssl.SSLContext],
) -> None:
    client = ApiClient(Endpoint("Outreach", "https://127.0.0.1:1/api/v2", "t"), OutreachDialect())
    transport = client._http._transport
    try:
        assert verifying_contexts == []  # not made with the client
        with pytest.raises(httpx.ConnectError):  # nothing listens there: refused before TLS
            transport.handle_request(httpx.Request("GET", "https://127.0.0.1:1/api/v2/stages"))
    finally:
        client.close()
    assert len(verifying_contexts) == 1
    assert verifying_contexts[0].verify_mode == ssl.CERT_REQUIRED
    assert verifying_contexts[0].check_hostname


def test_a_closed_client_refuses_a_request_instead_of_opening_a_new_pool(
    outreach: EmulatorServer, token: str
) -> None:
    """The pool is made by the first request; closing a client that never sent one still
    closes it for good, as httpx's own client is, and nothing reaches the API."""
    client = ApiClient(Endpoint("Outreach", outreach.base_url, token), OutreachDialect())
    client.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        client.request("GET", "/stages")
    assert client._session is None
    assert outreach.log.count() == 0
