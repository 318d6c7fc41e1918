"""The Outreach API v2 `stage` endpoints over JSON:API, as a Backend for the generic provider."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core.contract import (
    PAGE_SIZE,
    X_RATELIMIT,
    ApiClient,
    ApiSettings,
    RateHeaders,
    RecordCount,
    Remote,
    auth_hint,
    body_link,
    delete_if_present,
    fetch_or_none,
    follow_pages,
)
from .wire import StageRecord

if TYPE_CHECKING:
    import httpx

SETTINGS = ApiSettings(
    api="Outreach",
    namespace="outreach",
    env_prefix="OUTREACH",
    default_base_url="https://api.outreach.io/api/v2",
)

JSON_API = "application/vnd.api+json"

LISTING_PAGE_SIZE = 250
"""Stages per page of a listing, the most a widely used client asks for ([seen]
singer-io/tap-outreach pages with 250; 1,000 has caused 5xx on heavy endpoints): a listing of
1,000 stages is 4 GETs, not 10."""

IDS_PER_READ = 50
"""Stage ids one prospect listing filters by (a URL of about 400 characters of ids)."""


class OutreachDialect:
    """How Outreach speaks: JSON:API bodies and `{"errors": [...]}` error documents."""

    api = "Outreach"
    content_type = JSON_API
    rate_headers: RateHeaders = X_RATELIMIT

    def error_details(self, response: httpx.Response) -> tuple[str, str | None]:
        try:
            errors = response.json().get("errors") or []
        except ValueError:
            return (_first_line(response.text) or response.reason_phrase, None)
        if not errors:
            return (response.reason_phrase, None)
        first = errors[0]
        detail = first.get("detail") or first.get("details") or first.get("title") or ""
        pointer = (first.get("source") or {}).get("pointer", "")
        field = pointer.rsplit("/", 1)[-1] if pointer.startswith("/data/attributes/") else ""
        message = f"{field}: {detail}" if field else detail
        return (message, first.get("id"))

    def hint(self, status: int, code: str | None, message: str) -> str | None:
        forbidden = "the token's user or OAuth scopes do not allow this call (stages.* scopes)"
        return auth_hint(SETTINGS, status, forbidden)


class OutreachStages:
    """CRUD and listing of Outreach stages through one pooled client."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def create(self, inputs: Mapping[str, Any]) -> Remote:
        attributes = {key: value for key, value in inputs.items() if value is not None}
        body = {"data": {"type": "stage", "attributes": attributes}}
        response = self.client.request("POST", "/stages", json=body)
        return _remote(response.json()["data"])

    def read(self, id_: str) -> Remote | None:
        response = fetch_or_none(self.client, f"/stages/{id_}")
        return _remote(response.json()["data"]) if response is not None else None

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        body = {"data": {"type": "stage", "id": int(id_), "attributes": dict(changes)}}
        response = self.client.request("PATCH", f"/stages/{id_}", json=body)
        return _remote(response.json()["data"])

    def delete(self, id_: str) -> None:
        delete_if_present(self.client, f"/stages/{id_}")

    records_word = "prospects"
    delete_checks_records = False  # [doc] Outreach deletes a stage whatever its prospects

    def count_records(self, stage_id: str) -> RecordCount:
        """Prospects in the stage: `meta.count`, confirmed by a page of them, since the count
        can be truncated or zero under load (a page with prospects on it is never zero)."""
        params: dict[str, str | int] = {
            "filter[stage][id]": stage_id,
            "count": "true",
            "page[size]": PAGE_SIZE,
        }
        document = self.client.request("GET", "/prospects", params=params).json()
        listed = len(document.get("data") or [])
        counted = (document.get("meta") or {}).get("count")
        if not listed:
            return RecordCount(0)
        if isinstance(counted, int) and counted >= listed:
            return RecordCount(counted)
        return RecordCount(listed, exact=False)  # the count said less than the page shows

    def count_many(self, stage_ids: Sequence[str]) -> dict[str, RecordCount]:
        """Counts for many stages: [doc] `filter[stage][id]` takes a comma-separated list, so
        one page of prospects in any of `IDS_PER_READ` stages answers for all of them when it
        holds every such prospect (most removed stages hold none); otherwise the stages are
        counted one by one."""
        counts: dict[str, RecordCount] = {}
        for start in range(0, len(stage_ids), IDS_PER_READ):
            chunk = stage_ids[start : start + IDS_PER_READ]
            params: dict[str, str | int] = {
                "filter[stage][id]": ",".join(chunk),
                "page[size]": PAGE_SIZE,
            }
            document = self.client.request("GET", "/prospects", params=params).json()
            data = document.get("data") or []
            whole = not (document.get("links") or {}).get("next") and len(data) < PAGE_SIZE
            held = [_stage_of(item) for item in data]
            if not whole or not set(held) <= set(chunk):  # a prospect whose stage is not shown
                counts.update({id_: self.count_records(id_) for id_ in chunk})
                continue
            counts.update({id_: RecordCount(held.count(id_)) for id_ in chunk})
        return counts

    def record_page(self, stage_id: str, size: int) -> list[str]:
        params: dict[str, str | int] = {"filter[stage][id]": stage_id, "page[size]": size}
        document = self.client.request("GET", "/prospects", params=params).json()
        return [str(item["id"]) for item in document.get("data") or []]

    def move_record(self, record_id: str, to_stage_id: str) -> None:
        stage = {"data": {"type": "stage", "id": int(to_stage_id)}}
        body = {
            "data": {"type": "prospect", "id": int(record_id), "relationships": {"stage": stage}}
        }
        self.client.request("PATCH", f"/prospects/{record_id}", json=body)

    def list_all(self) -> Iterator[Remote]:
        """Every stage in the account as Remote objects."""
        for record in self.list():
            yield _remote_of(record)

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        """Stages with the declared name (Outreach does not keep names unique)."""
        name = str(inputs["name"])
        # The API reads `,` and `..` in a filter as a list and a range: filter on the part
        # before them, then keep exact matches only.
        prefix = name.split(",", 1)[0].split("..", 1)[0]
        filters = {"filter[name]": name} if prefix == name else {}
        records = self.list(filters=filters)
        return [_remote_of(record) for record in records if record.name == name]

    def list(
        self, page_size: int = LISTING_PAGE_SIZE, filters: Mapping[str, str] | None = None
    ) -> Iterator[StageRecord]:
        """Every stage in the account (or matching `filters`), following `links.next`."""
        params: dict[str, str | int] = {"page[size]": page_size, **(filters or {})}
        for page in follow_pages(self.client, "/stages", body_link("links", "next"), params=params):
            for resource in page.items("data"):
                yield StageRecord.from_resource(resource)


def _stage_of(prospect: dict[str, Any]) -> str:
    """The id of the stage a prospect resource sits in ("" for none)."""
    stage = ((prospect.get("relationships") or {}).get("stage") or {}).get("data") or {}
    return str(stage.get("id") or "")


def _remote_of(record: StageRecord) -> Remote:
    return Remote(id=str(record.id), outs=record.outputs())


def _remote(resource: dict[str, Any]) -> Remote:
    return _remote_of(StageRecord.from_resource(resource))


def _first_line(text: str) -> str:
    """The first non-empty line of a non-JSON error body, cut to a readable length."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""
