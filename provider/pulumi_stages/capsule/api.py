"""Capsule CRM API v2 stages and boards: wrapper keys, Link-header paging, boards found by name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..core.contract import (
    PAGE_SIZE,
    X_RATELIMIT,
    Account,
    ApiClient,
    ApiSettings,
    ContainerKind,
    NotEditable,
    RateHeaders,
    RecordCount,
    Remote,
    UnexpectedResponse,
    auth_hint,
    container_id,
    counted,
    delete_if_present,
    fetch_or_none,
    follow_pages,
    link_header,
)
from .wire import WIRE, StageRecord

if TYPE_CHECKING:
    import httpx


def site_of(client: ApiClient) -> str:
    """The account a token belongs to: the subdomain of its Capsule site (`GET /site`)."""
    site = client.request("GET", "/site").json().get("site") or {}
    subdomain = site.get("subdomain")
    if not isinstance(subdomain, str) or not subdomain:
        raise UnexpectedResponse(
            "Capsule's GET /site named no subdomain; cannot check expectedAccount"
        )
    return subdomain


SETTINGS = ApiSettings(
    api="Capsule",
    namespace="capsule",
    env_prefix="CAPSULE",
    default_base_url="https://api.capsulecrm.com/api/v2",
    identify=site_of,
)

BOARD = "board"
"""The kind of a Capsule board in the account context: its writes retire the board directory."""
STAGE = "stage"

BOARDS = ContainerKind(
    kind=BOARD,
    api="Capsule",
    described="active board named",
    declared_by="pulumi_stages.capsule.Board",
)


class CapsuleDialect:
    """How Capsule speaks: `{"stage": ...}` bodies and its three error body shapes."""

    api = "Capsule"
    content_type = "application/json"
    rate_headers: RateHeaders = X_RATELIMIT  # [doc] epoch reset; no Retry-After documented

    def error_details(self, response: httpx.Response) -> tuple[str, str | None]:
        try:
            body = response.json()
        except ValueError:
            return (response.reason_phrase, None)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0]
            field = first.get("field")
            text = first.get("message", "")
            return (f"{field}: {text}" if field else text, body.get("message"))
        if isinstance(body, dict):
            return (str(body.get("message") or body.get("error") or response.reason_phrase), None)
        return (response.reason_phrase, None)

    def hint(self, status: int, code: str | None, message: str) -> str | None:
        forbidden = "writing stages and boards needs a user with the Administrator role"
        return auth_hint(SETTINGS, status, forbidden)


def pages(client: ApiClient, path: str, key: str, params: dict[str, str | int]) -> Iterator[Any]:
    """Every item under `key` across pages, following the Link header's rel="next"."""
    for page in follow_pages(client, path, link_header, params=params):
        yield from page.items(key)


def filtered(
    client: ApiClient, path: str, key: str, conditions: list[dict[str, Any]], per_page: int
) -> Iterator[Any]:
    """Every item a filter selects (`POST <path>/filters/results`), following Link pages; each
    page is asked with the same filter body."""
    body = {"filter": {"conditions": conditions}}
    url = f"{path}/filters/results"
    params: dict[str, str | int] = {"perPage": per_page}
    for page in follow_pages(
        client, url, link_header, params=params, method="POST", json=body, idempotent=True
    ):
        yield from page.items(key)


def _on(stage_id: str) -> list[dict[str, Any]]:
    """[doc] Filters API conditions: the projects on one stage, open and closed."""
    return [{"field": "stage", "operator": "is", "value": int(stage_id)}]


def board_id(account: Account, name: str) -> int:
    """The id of the active board called `name` in this account, looked up once per process
    until a board write through it (a create, a replace, an archive) retires the entry."""
    return int(container_id(account, CapsuleBoards(account.client), name))


class CapsuleStages:
    """CRUD and listing of Capsule stages; the board is given by name."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.client = account.client

    def _board_of(self, inputs: Mapping[str, Any]) -> int:
        """The board's id: as given (a set's own Board), else looked up by name."""
        given = inputs.get("board_id")
        return int(given) if given else board_id(self.account, str(inputs["board"]))

    def create(self, inputs: Mapping[str, Any]) -> Remote:
        body: dict[str, Any] = {
            wire: inputs[field] for field, wire in WIRE.items() if inputs.get(field) is not None
        }
        body["board"] = self._board_of(inputs)
        response = self.client.request("POST", "/stages", json={"stage": body})
        return _remote(response.json()["stage"])

    def read(self, id_: str) -> Remote | None:
        """The stage, or None when it is gone or archived (an archived stage is no longer in
        its board's pipeline; the next `up` recreates the declared one)."""
        response = fetch_or_none(self.client, f"/stages/{id_}")
        stage = response.json()["stage"] if response is not None else None
        return _remote(stage) if stage is not None and not stage.get("archived") else None

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        body = {WIRE[field]: value for field, value in changes.items() if field in WIRE}
        response = self.client.request("PUT", f"/stages/{id_}", json={"stage": body})
        return _remote(response.json()["stage"])

    def delete(self, id_: str) -> None:
        delete_if_present(self.client, f"/stages/{id_}")

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        board = self._board_of(inputs)
        stages = pages(self.client, f"/boards/{board}/stages", "stages", {"perPage": 100})
        return [_remote(s) for s in stages if s.get("name") == inputs["name"]]

    records_word = "projects"
    delete_checks_records = False
    """[doc] Capsule refuses to delete a stage open projects use, but a closed project on a
    deleted stage is left on no stage: every delete is confirmed by a count of both."""

    def count_records(self, stage_id: str) -> RecordCount:
        """Projects on the stage, open and closed, counted over every page (Capsule gives no
        total); a closed project would lose its stage (and its history) just the same."""
        found = filtered(self.client, "/kases", "kases", _on(stage_id), PAGE_SIZE)
        return counted([str(kase.get("status") or "OPEN").lower() for kase in found])

    def record_page(self, stage_id: str, size: int) -> list[str]:
        """Every project on the stage, closed ones too: a deleted stage would leave a closed
        project with no stage, so they move as well (only open ones block a delete)."""
        found = filtered(self.client, "/kases", "kases", _on(stage_id), min(size, 100))
        return [str(kase["id"]) for _, kase in zip(range(size), found, strict=False)]

    def move_record(self, record_id: str, to_stage_id: str) -> None:
        body = {"kase": {"stage": int(to_stage_id)}}
        self.client.request("PUT", f"/kases/{record_id}", json=body)

    def list_all(self) -> Iterator[Remote]:
        """Every active stage, those on archived boards too: a board archived by hand is the
        Board's drift, and its stages are still there to restore with it."""
        params: dict[str, str | int] = {"perPage": 100, "includeOnDeletedBoard": "true"}
        for stage in pages(self.client, "/stages", "stages", params):
            yield _remote(stage)


class CapsuleBoards:
    """Capsule boards: create, read, archive (the API's delete) and restore. The API cannot edit
    a board. A board's `archived` output comes from the archived listing (a board's own JSON
    does not say)."""

    container = BOARDS

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def live_named(self, name: str) -> Iterator[Remote]:
        """Active boards the API finds for `name` (its `q` search)."""
        params: dict[str, str | int] = {"q": name, "status": "active", "perPage": 100}
        for board in pages(self.client, "/boards", "boards", params):
            yield _board(board, archived=False)

    def create(self, inputs: Mapping[str, Any]) -> Remote:
        body = {k: inputs[k] for k in ("name", "description") if inputs.get(k) is not None}
        response = self.client.request("POST", "/boards", json={"board": body})
        return _board(response.json()["board"], archived=False)

    def read(self, id_: str) -> Remote | None:
        response = fetch_or_none(self.client, f"/boards/{id_}")
        if response is None:
            return None
        board = response.json()["board"]
        params: dict[str, str | int] = {"q": board["name"], "status": "archived", "perPage": 100}
        archived = any(str(b["id"]) == id_ for b in pages(self.client, "/boards", "boards", params))
        return _board(board, archived)

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        raise NotEditable("Capsule boards cannot be edited; a change replaces the board")

    def restore(self, id_: str) -> Remote:
        """Make an archived board active again, its stages with it."""
        # a restore repeated changes nothing more: retried like a read on a 5xx or a lost answer
        response = self.client.request("POST", f"/boards/{id_}/restore", idempotent=True)
        return _board(response.json()["board"], archived=False)

    def delete(self, id_: str) -> None:
        delete_if_present(self.client, f"/boards/{id_}")

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        params: dict[str, str | int] = {"q": str(inputs["name"]), "perPage": 100}
        boards = pages(self.client, "/boards", "boards", params)
        return [_board(b, False) for b in boards if b.get("name") == inputs["name"]]

    def _status(self, status: str) -> Iterator[dict[str, Any]]:
        return pages(self.client, "/boards", "boards", {"perPage": 100, "status": status})

    def list_all(self) -> Iterator[Remote]:
        """Every board, archived ones marked."""
        for board in self._status("active"):
            yield _board(board, archived=False)
        for board in self._status("archived"):
            yield _board(board, archived=True)

    def list_active(self) -> Iterator[Remote]:
        """The boards `adopt` may take over: active ones only."""
        for board in self._status("active"):
            yield _board(board, archived=False)


def _remote(stage: dict[str, Any]) -> Remote:
    record = StageRecord.from_json(stage)
    return Remote(id=str(record.id), outs=record.outputs())


def _board(board: dict[str, Any], archived: bool) -> Remote:
    outs = {
        "name": board.get("name"),
        "description": board.get("description"),
        "archived": archived,
        "board_id": str(board["id"]),
        "created_at": board.get("createdAt"),
        "updated_at": board.get("updatedAt"),
    }
    return Remote(id=str(board["id"]), outs=outs)
