"""The transport under every API client, in its own module so httpx loads with the first request."""

from __future__ import annotations

import threading

import httpx


class TlsOnFirstUse(httpx.BaseTransport):
    """httpx's default transport, whose TLS context (the CA bundle, ~0.08 CPU-s to load) is made
    on the first https request instead of with the client.

    Every provider process the engine starts makes a client, and one whose requests are all
    plain http (an emulator on loopback) never needs TLS. An https request goes through httpx's
    default, verifying transport, made when first needed; a plain http request goes through a
    pool that never negotiates TLS, so it is given no CA bundle to check certificates with."""

    def __init__(self) -> None:
        self._plain = httpx.HTTPTransport(verify=False)  # only ever sends http:// requests
        self._secure: httpx.HTTPTransport | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":
            return self._plain.handle_request(request)
        return self.secure().handle_request(request)

    def secure(self) -> httpx.HTTPTransport:
        """The verifying transport of https requests, made on first use."""
        with self._lock:
            if self._secure is None:
                self._secure = httpx.HTTPTransport()
            return self._secure

    def close(self) -> None:
        with self._lock:
            self._plain.close()
            if self._secure is not None:
                self._secure.close()
