"""The least a refresh of Outreach stages can do, as dynamic providers: the refresh floors.

`bench.noop_provider`'s stage answers a read from its own state and sends nothing, so a refresh
over it costs only the engine's and the SDK's work. A refresh that reads the account cannot cost
less than that plus loading an HTTP client and listing the account. `LeastStageProvider` does
exactly that and nothing more: its first read lists every stage, page after page, with httpx
(the client ours uses, on a plain-http loopback origin: no TLS), and each read answers as the
no-op stage does. `bench.least_validating_provider` adds pydantic, as any provider that
validates its inputs with it does. `bench.refresh_floor` times both against the no-op floor and
ours.
"""

from __future__ import annotations

import threading
from typing import Any

from pulumi.dynamic import ConfigureRequest, ReadResult

from bench.noop_provider import NoopStageProvider

PAGE_SIZE = 100
"""Outreach's largest page: a listing of N stages is ceil(N / 100) GETs."""


class LeastStageProvider(NoopStageProvider):
    """A no-op stage whose first read lists the account's stages (every page, once per
    process); the only work a refresh must add to the floor's."""

    _lock = threading.Lock()
    _listed: set[str] | None = None

    def configure(self, req: ConfigureRequest) -> None:
        self._origin = req.config.get("outreach:baseUrl") or ""
        self._token = req.config.get("outreach:accessToken") or ""

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with self._lock:
            if LeastStageProvider._listed is None:
                LeastStageProvider._listed = self._list()
        return super().read(id_, props)

    def _list(self) -> set[str]:
        """Every stage id in the account, following `links.next`."""
        import httpx  # noqa: PLC0415 - loaded with the first request, as ours loads it

        ids: set[str] = set()
        headers = {"Authorization": f"Bearer {self._token}"}
        # A plain-http loopback origin: no TLS is negotiated, so no CA bundle is loaded for it.
        with httpx.Client(base_url=self._origin, headers=headers, verify=False) as client:
            url: str | None = "/stages"
            params: dict[str, int] | None = {"page[size]": PAGE_SIZE}
            while url:
                body = client.get(url, params=params).raise_for_status().json()
                ids.update(str(resource["id"]) for resource in body["data"])
                url, params = (body.get("links") or {}).get("next"), None
        return ids
