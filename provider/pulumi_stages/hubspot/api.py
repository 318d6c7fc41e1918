"""HubSpot's CRM Pipelines API (date-based version 2026-09) for deal and ticket pipelines, the CRM
objects search and update (2026-03) for the deals and tickets in their stages, and account info
(2026-03).

[doc] developers.hubspot.com: "For new integrations, always use the latest date version"; each API
uses the newest date version its own reference pages show: 2026-09 for Pipelines (GA since
September 2026, the version the v1 sunset notice points to), 2026-03 for CRM objects
(`/crm/objects/2026-03/{objectType}/search`) and account info (`/account-info/2026-03/details`).
The Pipelines stage delete validates references by default; this client asks for it anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.account import Account
from ..core.backend import Remote, delete_if_present, fetch_or_none
from ..core.config import ApiSettings
from ..core.containers import ContainerKind, container_id
from ..core.errors import NotFound, StagesError, UnexpectedResponse
from ..core.hints import auth_hint
from ..core.http import ApiClient
from ..core.paging import after_cursor, follow_cursor
from ..core.ratelimit import RateHeaders
from ..core.records import PAGE_SIZE, RecordCount
from .pacing import search_pace
from .wire import metadata_of, new_stage_metadata, pipeline_outputs, stage_outputs

if TYPE_CHECKING:
    import httpx

PIPELINES_VERSION = "2026-09"
"""[doc] The Pipelines API's date version (`/crm/pipelines/2026-09/{objectType}`)."""

CONFIRM_PAGES = 20
"""Pages of the list endpoint (100 records each) read to confirm a zero from search; past
them, a second search after `SEARCH_LAG_SECONDS` decides (a large portal would otherwise cost
one GET per 100 of its records), and HubSpot's validate flag still guards the delete."""

SEARCH_LAG_SECONDS = 5.0
"""guess: how long the search index may trail the writes ([doc] "a few seconds")."""

IN_VALUES = 100
"""guess: stage ids one search's `IN` filter takes (HubSpot documents a limit on `values`
without this project having found the number; a 400 on a large removal would settle it)."""

SEARCH_PAGE = 200
"""[doc] The most results one search page returns."""

BATCH_SIZE = 100
"""[doc] The most inputs one batch call takes."""

OBJECTS_VERSION = "2026-03"
"""[doc] The CRM objects API's date version (`/crm/objects/2026-03/{objectType}/search`)."""

ACCOUNT_INFO_VERSION = "2026-03"
"""[doc] The account-info API's date version (`/account-info/2026-03/details`)."""

ACCOUNT_INFO = f"/account-info/{ACCOUNT_INFO_VERSION}/details"
"""[doc] `GET /account-info/2026-03/details` names the portal (`portalId`)."""

HUBSPOT_RATE = RateHeaders(
    prefix="X-HubSpot-RateLimit-",
    remaining="Remaining",
    limit="Max",
    reset="Interval-Milliseconds",
    reset_form="window-ms",
)
"""[doc] usage-details: `X-HubSpot-RateLimit-Max`, `-Remaining` and `-Interval-Milliseconds` (the
rolling window's length: the budget refills within one window)."""


@dataclass(frozen=True)
class ObjectKind:
    """One object type with pipelines: its path word, what its records are called, the property
    holding a record's stage, the delete flag that validates records first, and the property
    holding a record's pipeline."""

    object_type: str
    noun: str
    stage_property: str
    validate_param: str
    pipeline_property: str

    @property
    def pipelines(self) -> str:
        """`/crm/pipelines/2026-09/<type>`."""
        return f"/crm/pipelines/{PIPELINES_VERSION}/{self.object_type}"

    @property
    def objects(self) -> str:
        """`/crm/objects/2026-03/<type>`."""
        return f"/crm/objects/{OBJECTS_VERSION}/{self.object_type}"

    @property
    def word(self) -> str:
        """What its pipelines and stages are named after in messages and caches: "deal",
        "lead", or a custom object's type id (all custom objects' records are "record")."""
        return self.object_type if self.noun == "record" else self.noun

    @property
    def records(self) -> str:
        """What its records are called in messages: the path word ("deals"), or for a custom
        object its type id and "records" ("2-12345 records")."""
        return self.object_type if self.object_type.isalpha() else f"{self.object_type} records"


DEALS = ObjectKind("deals", "deal", "dealstage", "validateDealStageUsagesBeforeDelete", "pipeline")
TICKETS = ObjectKind(
    "tickets", "ticket", "hs_pipeline_stage", "validateReferencesBeforeDelete", "hs_pipeline"
)
KINDS = {kind.object_type: kind for kind in (DEALS, TICKETS)}


class HubSpotDialect:
    """How HubSpot speaks: JSON, errors `{"status": "error", "message", "category", ...}`."""

    api = "HubSpot"
    content_type = "application/json"
    rate_headers: RateHeaders = HUBSPOT_RATE

    def error_details(self, response: httpx.Response) -> tuple[str, str | None]:
        try:
            body = response.json()
        except ValueError:
            return (response.reason_phrase, None)
        if not isinstance(body, dict):
            return (response.reason_phrase, None)
        message = str(body.get("message") or response.reason_phrase)
        code = body.get("category") or body.get("errorType")
        if body.get("policyName") == "DAILY":
            message += daily_note(response.headers)
        return (message, str(code) if code else None)

    def hint(self, status: int, code: str | None, message: str) -> str | None:
        if status == 400 and message.startswith("Unable to infer object type"):
            return (
                "this account has no such object type: leads need Sales Hub Professional or "
                "Enterprise, custom objects Enterprise, and appointments, courses, listings and "
                "services must be activated in the account first"
            )
        forbidden = "the token needs the crm.objects.deals/tickets and pipeline scopes"
        return auth_hint(SETTINGS, status, forbidden)


def daily_note(headers: Mapping[str, str]) -> str:
    """What a daily 429 means, from the daily headers when the answer has them ([doc] private
    apps get `X-HubSpot-RateLimit-Daily` and `-Daily-Remaining`; OAuth apps none)."""
    limit = headers.get("X-HubSpot-RateLimit-Daily", "").strip()
    left = headers.get("X-HubSpot-RateLimit-Daily-Remaining", "").strip()
    budget = f"{int(limit):,} requests, {left or '0'} left" if limit.isdigit() else "its limit"
    return (
        f" (this app's daily HubSpot budget, {budget}, is used up; it resets at midnight in the "
        "account's time zone: run `pulumi up` again then)"
    )


def portal_of(client: ApiClient) -> str:
    """The account a token belongs to: its portal id (`GET /account-info/.../details`)."""
    portal = client.request("GET", ACCOUNT_INFO).json().get("portalId")
    if portal is None or isinstance(portal, bool):
        raise UnexpectedResponse("HubSpot's account details named no portalId")
    return str(portal)


SETTINGS = ApiSettings(
    api="HubSpot",
    namespace="hubspot",
    env_prefix="HUBSPOT",
    default_base_url="https://api.hubapi.com",
    identify=portal_of,
)


@dataclass(frozen=True)
class Home:
    """Where a stage lives: its pipeline's id and label (the API addresses a stage by both)."""

    pipeline_id: str
    pipeline: str


class Homes:
    """Stage id -> Home per object type in one account, learned from every answer; a stage never
    moves to another pipeline, so an entry never goes stale (a rename of the pipeline by hand
    shows on the pipeline's own read)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.known: dict[tuple[str, str], Home] = {}

    def get(self, object_type: str, stage_id: str) -> Home | None:
        with self.lock:
            return self.known.get((object_type, stage_id))

    def put(self, object_type: str, stage_id: str, home: Home) -> None:
        with self.lock:
            self.known[(object_type, stage_id)] = home


def homes(account: Account) -> Homes:
    """Where this account's stages live, kept in its context."""
    return account.adapter_state("hubspot.homes", Homes)


def pipeline_id(account: Account, kind: ObjectKind, name: str) -> str:
    """The id of the pipeline labelled `name` of this object type in this account, looked up once
    until a pipeline write retires the entry."""
    return container_id(account, HubSpotPipelines(account, kind), name)


class MoveRefused(StagesError):
    """HubSpot refused to move records to another stage (a validation rule, say)."""

    def __init__(
        self, kind: ObjectKind, to_stage_id: str, refused: list[tuple[list[str], str]], sent: int
    ) -> None:
        count = sum(len(ids) for ids, _ in refused)
        reasons = "; ".join(f"{kind.noun} {', '.join(ids)}: {why}" for ids, why in refused[:5])
        super().__init__(
            f"HubSpot refused to move {count} of {sent} {kind.records} to stage "
            f"{to_stage_id}: {reasons}. Nothing was deleted: the stage they sit in is kept. "
            f"Fix what HubSpot names (the {kind.noun}, or the validation rule), then run "
            "`pulumi up` again; the move goes on with what is left."
        )
        self.record_ids = [i for ids, _ in refused for i in ids]


class HubSpotStages:
    """CRUD, listing and records of one object type's pipeline stages."""

    def __init__(self, account: Account, kind: ObjectKind, listing: str) -> None:
        self.account = account
        self.client = account.client
        self.kind = kind
        self.listing = listing
        """The kind of the account's listing these stages are kept in (shared with the core)."""
        self.records_word = kind.records
        self._moved: set[str] = set()
        self.delete_checks_records = True
        """[doc] Deletes carry the validate flag: HubSpot refuses a stage records still use."""
        """Records this backend moved (one move of a stage's records uses one backend)."""

    def _remote(self, stage: dict[str, Any], home: Home) -> Remote:
        homes(self.account).put(self.kind.object_type, str(stage["id"]), home)
        outs = stage_outputs(self.kind.object_type, stage, home.pipeline_id, home.pipeline)
        return Remote(id=str(stage["id"]), outs=outs)

    def _pipeline_of(self, inputs: Mapping[str, Any]) -> Home:
        given = inputs.get("pipeline_id")
        name = str(inputs["pipeline"])
        return Home(str(given) if given else pipeline_id(self.account, self.kind, name), name)

    def _stages_path(self, home: Home) -> str:
        return f"{self.kind.pipelines}/{home.pipeline_id}/stages"

    def _located(self, stage_id: str) -> tuple[Home | None, Remote | None]:
        """Where the stage lives: known from an earlier answer, else from the account's listing
        of these stages (one GET shared by every thread and resource of the process; fetched
        now when none is held), with the stage as listed. A stage in no listing is confirmed
        gone by a fresh listing."""
        home = homes(self.account).get(self.kind.object_type, stage_id)
        if home is not None:
            return home, None
        listing = self.account.listing(self.listing)
        loads: tuple[Callable[[], Iterable[Remote]], ...] = (
            lambda: listing.snapshot(self.list_all),
            lambda: list(self.list_all()),
        )
        for load in loads:
            found = next((r for r in load() if r.id == stage_id), None)
            if found is not None:
                return homes(self.account).get(self.kind.object_type, stage_id), found
        return None, None

    def _home(self, stage_id: str) -> Home | None:
        return self._located(stage_id)[0]

    def create(self, inputs: Mapping[str, Any]) -> Remote:
        home = self._pipeline_of(inputs)
        body: dict[str, Any] = {
            "label": inputs["name"],
            "displayOrder": inputs.get("display_order") or 0,  # [doc] required; 0 when unsaid
        }
        body["metadata"] = new_stage_metadata(self.kind.object_type, dict(inputs))
        response = self.client.request("POST", self._stages_path(home), json=body)
        return self._remote(response.json(), home)

    def read(self, id_: str) -> Remote | None:
        """The stage from its pipeline (one GET, which also gives the pipeline's label now);
        None when the stage or its pipeline is gone."""
        home, listed = self._located(id_)
        if listed is not None or home is None:
            return listed
        response = fetch_or_none(self.client, f"{self.kind.pipelines}/{home.pipeline_id}")
        if response is None:
            return None
        pipeline = response.json()
        here = Home(home.pipeline_id, str(pipeline.get("label", home.pipeline)))
        for stage in pipeline.get("stages") or []:
            if str(stage.get("id")) == id_ and not stage.get("archived"):
                return self._remote(stage, here)
        return None

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        home = self._home(id_)
        if home is None:
            raise NotFound(
                "HubSpot", "PATCH", f"stage {id_}", 404, f"no stage {id_} in any pipeline"
            )
        body: dict[str, Any] = {}
        if "name" in changes:
            body["label"] = changes["name"]
        if "display_order" in changes:
            body["displayOrder"] = changes["display_order"]
        metadata = metadata_of(self.kind.object_type, dict(changes))
        if metadata is not None:
            body["metadata"] = metadata
        response = self.client.request("PATCH", f"{self._stages_path(home)}/{id_}", json=body)
        return self._remote(response.json(), home)

    def delete(self, id_: str) -> None:
        """DELETE with the object type's reference check on, so HubSpot itself refuses a stage
        that records still use (a deal moved in by hand after the count)."""
        home = self._home(id_)
        if home is None:
            return  # in no pipeline: already gone
        path = f"{self._stages_path(home)}/{id_}"
        delete_if_present(self.client, path, {self.kind.validate_param: "true"})

    def sole_stage_home(self, stage_id: str) -> Home | None:
        """The stage's pipeline when the stage is its only live stage (HubSpot refuses to delete
        a pipeline's last stage); None otherwise."""
        home = self._home(stage_id)
        if home is None:
            return None
        response = fetch_or_none(self.client, f"{self.kind.pipelines}/{home.pipeline_id}")
        if response is None:
            return None
        live = [
            str(s.get("id")) for s in response.json().get("stages") or [] if not s.get("archived")
        ]
        return home if live == [stage_id] else None

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        home = self._pipeline_of(inputs)
        response = fetch_or_none(self.client, f"{self.kind.pipelines}/{home.pipeline_id}")
        stages = response.json().get("stages") or [] if response is not None else []
        return [self._remote(s, home) for s in stages if s.get("label") == inputs["name"]]

    def list_all(self) -> Iterator[Remote]:
        """Every stage of every pipeline of the type: one GET (pipelines come with their stages;
        [doc] the listing has no paging)."""
        pipelines = self.client.request("GET", self.kind.pipelines).json().get("results") or []
        for pipeline in pipelines:
            if pipeline.get("archived"):
                continue
            home = Home(str(pipeline["id"]), str(pipeline.get("label", "")))
            for stage in pipeline.get("stages") or []:
                if not stage.get("archived"):
                    yield self._remote(stage, home)

    # Records: deals or tickets in the stage.

    def _search(
        self, stage_id: str | Sequence[str], size: int, after: str | None = None
    ) -> dict[str, Any]:
        """One page of search: the records in a stage ([doc] `EQ`), or in any of several
        ([doc] `IN` with `values`)."""
        condition: dict[str, Any] = {"propertyName": self.kind.stage_property}
        if isinstance(stage_id, str):
            condition.update(operator="EQ", value=stage_id)
        else:
            condition.update(operator="IN", values=list(stage_id))
        body: dict[str, Any] = {
            "filterGroups": [{"filters": [condition]}],
            "properties": [self.kind.stage_property],
            "limit": size,
        }
        if after:
            body["after"] = after
        search_pace(self.account).wait()  # search's own per-second limit (`pacing.py`)
        result: dict[str, Any] = self.client.request(
            "POST", f"{self.kind.objects}/search", json=body, idempotent=True
        ).json()
        return result

    def count_many(self, stage_ids: Sequence[str]) -> dict[str, RecordCount]:
        """Counts for many stages from one search per `IN_VALUES` of them ([doc] `IN`): a page
        that holds every record found answers for all its stages, its zeros confirmed from the
        records (the list endpoint) as `count_records` does; anything else is counted stage by
        stage."""
        counts: dict[str, RecordCount] = {}
        for start in range(0, len(stage_ids), IN_VALUES):
            chunk = list(stage_ids[start : start + IN_VALUES])
            found = self._search(chunk, SEARCH_PAGE)
            results = found.get("results") or []
            total = found.get("total")
            if total == 0 and not results:
                if self._listed_in_any(chunk) == 0:
                    counts.update({id_: RecordCount(0) for id_ in chunk})
                    continue
            elif isinstance(total, int) and total == len(results):
                held = [
                    str((r.get("properties") or {}).get(self.kind.stage_property)) for r in results
                ]
                seen = {id_: RecordCount(held.count(id_)) for id_ in chunk}
                zeros = [id_ for id_ in chunk if seen[id_].empty]
                if not zeros or self._listed_in_any(zeros) == 0:  # search's zeros confirmed
                    counts.update(seen)  # by the records, as count_records does
                    continue
            counts.update({id_: self.count_records(id_) for id_ in chunk})
        return counts

    def count_records(self, stage_id: str) -> RecordCount:
        """[doc] search's `total`, confirmed by its first page: a total below the page's length
        (an index behind the writes) reads "at least" the page. [doc] Search results can lag a
        few seconds behind writes, so a zero from search is never taken as empty on its own: it
        is confirmed by the records themselves (the list endpoint, not the search index), paged
        until one in the stage is found or the list ends."""
        found = self._search(stage_id, PAGE_SIZE)
        total = found.get("total")
        page = len(found.get("results") or [])
        if not isinstance(total, int) or total < page:
            return RecordCount(page, exact=False)
        if total == 0:
            held = self._listed_in(stage_id)
            if held is None:  # past the pages read: search again once the index caught up
                time.sleep(SEARCH_LAG_SECONDS)
                again = self._search(stage_id, PAGE_SIZE)
                total = again.get("total")
                return RecordCount(total if isinstance(total, int) else 0, exact=total == 0)
            return RecordCount(held, exact=held == 0)  # stops at the first page holding one
        return RecordCount(total)

    def _listed_in(self, stage_id: str) -> int | None:
        """How many records the list endpoint shows in the stage (guess: the basic list reads
        the records, not the search index, so it never lags); stops at the first page holding
        one; None when `CONFIRM_PAGES` pages held none and the list goes on."""
        return self._listed_in_any([stage_id])

    def _listed_in_any(self, stage_ids: Sequence[str]) -> int | None:
        """How many records the list endpoint shows in any of the stages: 0 when the list
        ended without one; the first page's number when a page holds some; None when
        `CONFIRM_PAGES` pages held none and the list goes on."""
        wanted = set(stage_ids)

        def page_after(after: str | None) -> dict[str, Any]:
            params: dict[str, str | int] = {
                "limit": 100,  # [doc] the list endpoint's largest page
                "properties": self.kind.stage_property,
            }
            if after:
                params["after"] = after
            listed: dict[str, Any] = self.client.request(
                "GET", self.kind.objects, params=params
            ).json()
            return listed

        for read, listed in enumerate(follow_cursor(page_after, after_cursor), start=1):
            held = [
                str((r.get("properties") or {}).get(self.kind.stage_property))
                for r in listed.get("results") or []
            ]
            found = sum(1 for stage in held if stage in wanted)
            if found:
                return found  # not empty: an "at least" is enough to stop a delete
            if read == CONFIRM_PAGES and after_cursor(listed):
                return None
        return 0

    def record_page(self, stage_id: str, size: int) -> list[str]:
        """Records search still shows in the stage, less the ones this backend already moved
        (a lagging index shows them a while longer: they are never PATCHed or counted twice)."""

        def page_after(after: str | None) -> dict[str, Any]:
            return self._search(stage_id, min(size, 200), after)

        for found in follow_cursor(page_after, after_cursor):
            ids = [str(r["id"]) for r in found.get("results") or []]
            fresh = [i for i in ids if i not in self._moved]
            if fresh:
                return fresh
        return []

    def _placed_in(self, to_stage_id: str) -> dict[str, str]:
        """The properties that put a record in the stage: the stage and its pipeline ([doc] a
        stage must belong to the record's pipeline; `pipeline` for deals, `hs_pipeline` for
        tickets), so a target in another pipeline moves the record there instead of being
        refused."""
        home = self._home(to_stage_id)
        if home is None:
            raise NotFound(
                "HubSpot",
                "PATCH",
                f"stage {to_stage_id}",
                404,
                f"no stage {to_stage_id} in any pipeline to move {self.kind.noun}s to",
            )
        return {
            self.kind.stage_property: to_stage_id,
            self.kind.pipeline_property: home.pipeline_id,
        }

    def move_record(self, record_id: str, to_stage_id: str) -> None:
        """PATCH one record's stage and pipeline."""
        body = {"properties": self._placed_in(to_stage_id)}
        self.client.request("PATCH", f"{self.kind.objects}/{record_id}", json=body)
        self._moved.add(record_id)

    move_batch_size = BATCH_SIZE
    """[doc] a batch update takes at most 100 inputs."""

    def move_records(self, record_ids: Sequence[str], to_stage_id: str) -> None:
        """[doc] One batch update moves up to 100 records (setting the same stage twice is
        harmless, so a lost answer is sent again). [doc] A 207 lists the inputs HubSpot refused:
        a record deleted meanwhile has left the stage anyway; any other refusal (a validation
        rule, 2026-09) stops the move naming the records and HubSpot's reason, before anything
        is deleted. The ones that moved stay moved, and the next `up` moves the rest."""
        placed = self._placed_in(to_stage_id)
        body = {"inputs": [{"id": i, "properties": placed} for i in record_ids]}
        answer = self.client.request(
            "POST", f"{self.kind.objects}/batch/update", json=body, idempotent=True
        ).json()
        refused: list[tuple[list[str], str]] = []
        for error in answer.get("errors") or []:
            ids = [str(i) for i in (error.get("context") or {}).get("ids") or []]
            if error.get("category") == "OBJECT_NOT_FOUND":
                self._moved.update(ids)  # gone: nothing left to move
                continue
            refused.append((ids, str(error.get("message") or error.get("category"))))
        self._moved.update(str(r.get("id")) for r in answer.get("results") or [])
        if refused:
            raise MoveRefused(self.kind, to_stage_id, refused, len(record_ids))


class HubSpotPipelines:
    """Pipelines of one object type: create (with their first stages), read, rename, delete."""

    def __init__(self, account: Account, kind: ObjectKind) -> None:
        self.account = account
        self.client = account.client
        self.kind = kind

    @property
    def container(self) -> ContainerKind:
        """This object type's pipelines, as the lookup by label names them."""
        word = self.kind.word
        declared_by = "pulumi_stages.hubspot.Pipeline"
        return ContainerKind(
            f"{word} pipeline", "HubSpot", f"{word} pipeline labelled", declared_by
        )

    def live_named(self, name: str) -> Iterator[Remote]:
        """Every live pipeline of the type ([doc] the listing has no search and no paging)."""
        return self.list_all()

    def _remote(self, pipeline: dict[str, Any], seeded: bool = False) -> Remote:
        outs = pipeline_outputs(self.kind.object_type, pipeline)
        if seeded:  # the stages this pipeline was created with, for the stage resources
            outs["seeded"] = [dict(s) for s in pipeline.get("stages") or []]
        return Remote(id=str(pipeline["id"]), outs=outs)

    def create(self, inputs: Mapping[str, Any]) -> Remote:
        """One POST creates the pipeline and its declared stages ([doc] PipelineInput.stages)."""
        stages = []
        for stage in inputs.get("seed") or []:
            wire: dict[str, Any] = {
                "label": stage["name"],
                "displayOrder": int(stage.get("display_order") or 0),  # Pulumi sends 10.0
            }
            wire["metadata"] = new_stage_metadata(self.kind.object_type, stage)
            stages.append(wire)
        body = {
            "label": inputs["name"],
            "displayOrder": inputs.get("display_order") or 0,  # [doc] required; 0 when unsaid
            "stages": stages,
        }
        response = self.client.request("POST", self.kind.pipelines, json=body)
        return self._remote(response.json(), seeded=True)

    def read(self, id_: str) -> Remote | None:
        response = fetch_or_none(self.client, f"{self.kind.pipelines}/{id_}")
        if response is None or response.json().get("archived"):
            return None
        return self._remote(response.json())

    def stages_of(self, id_: str) -> list[dict[str, Any]]:
        """The live stages of the pipeline as HubSpot lists them (none when it is gone)."""
        response = fetch_or_none(self.client, f"{self.kind.pipelines}/{id_}")
        if response is None or response.json().get("archived"):
            return []
        return [dict(s) for s in response.json().get("stages") or [] if not s.get("archived")]

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        body: dict[str, Any] = {}
        if "name" in changes:
            body["label"] = changes["name"]
        if "display_order" in changes:
            body["displayOrder"] = changes["display_order"]
        response = self.client.request("PATCH", f"{self.kind.pipelines}/{id_}", json=body)
        return self._remote(response.json())

    def delete(self, id_: str) -> None:
        path = f"{self.kind.pipelines}/{id_}"
        delete_if_present(self.client, path, {self.kind.validate_param: "true"})

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        """Pipelines labelled as declared, for create recovery: one whose stages are the seeded
        ones is the one an unanswered create made, so it carries the declared seed."""
        found = []
        for pipeline in self.client.request("GET", self.kind.pipelines).json().get("results") or []:
            if pipeline.get("label") != inputs["name"]:
                continue
            remote = self._remote(pipeline, seeded=True)
            labels = [s.get("label") for s in pipeline.get("stages") or []]
            seed = inputs.get("seed") or []
            if sorted(labels) == sorted(s["name"] for s in seed):
                remote.outs["seed"] = seed
            found.append(remote)
        return found

    def list_all(self) -> Iterator[Remote]:
        for pipeline in self.client.request("GET", self.kind.pipelines).json().get("results") or []:
            if not pipeline.get("archived"):
                yield self._remote(pipeline)
