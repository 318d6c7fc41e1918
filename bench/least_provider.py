"""The least an httpx-based refresh of Outreach stages can do, as dynamic providers.

`bench.noop_provider`'s stage answers a read from its own state and sends nothing, so a refresh
over it costs only the engine's and the SDK's work. A refresh that reads the account with the
HTTP client ours uses cannot cost less than that plus loading httpx and listing the account.
`LeastStageProvider` does exactly that and nothing more: its first read lists every stage, page
after page (plain http to the loopback emulator, so no TLS), and each read answers as the no-op
stage does. `bench.least_validating_provider` adds pydantic to the refresh's process, as a
provider whose pickled class's module imports it does (ours did, until 18ab587).
`bench.refresh_floor` times both against the no-op floor and ours.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from pulumi.dynamic import ConfigureRequest, ReadResult

from bench.noop_provider import NoopStageProvider

PAGE_SIZE = 250
"""The page size ours lists with, `pulumi_stages.outreach.api.LISTING_PAGE_SIZE` (not imported:
this process must not load our package; `bench.refresh_floor` checks the two agree)."""


class LeastStageProvider(NoopStageProvider):
    """A no-op stage whose first read lists the account's stages (every page, once per
    process); the only work a refresh must add to the floor's."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _listed: ClassVar[set[str] | None] = None
    _origin: str = ""
    _token: str = ""

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
        # As ours: no CA bundle is loaded for a plain-http origin, which never negotiates TLS.
        verify = not self._origin.startswith("http://")
        with httpx.Client(base_url=self._origin, headers=headers, verify=verify) as client:
            url: str | None = "/stages"
            params: dict[str, int] | None = {"page[size]": PAGE_SIZE}
            while url:
                body = client.get(url, params=params).raise_for_status().json()
                ids.update(str(resource["id"]) for resource in body["data"])
                url, params = (body.get("links") or {}).get("next"), None
        return ids
