"""HubSpot's CRM Pipelines, CRM objects (deals, tickets) and account-info APIs on the wire.

Served under the v3 paths the official clients call (`/crm/v3/pipelines/...`) and only the
date-based (API, version) pairs HubSpot's reference documents: Pipelines at 2026-09, CRM objects
and account info at 2026-03 (any other pair answers 404); the only difference emulated between
versions is that 2026-09 validates references before a delete by default ([doc] changelog
"Pipeline and pipeline stage delete endpoints will validate references by default starting with
2026-09").
The portal and its rules live in `state.py`.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from ..faults import RateWindow
from ..server import ADMIN_PREFIX
from .objects import STANDARD
from .search import shown
from .search_limit import SearchLimit
from .state import (
    HubSpotError,
    HubSpotOptions,
    HubSpotState,
    StoredPipeline,
    StoredRecord,
    StoredStage,
    now_text,
    validation_error,
)

PIPELINES_VERSIONS = ("v3", "2026-09")  # [doc] the Pipelines reference shows 2026-09
OBJECTS_VERSIONS = ("v3", "2026-03")  # [doc] `/crm/objects/2026-03/{objectType}/search`
ACCOUNT_INFO_VERSIONS = ("v3", "2026-03")  # [doc] `/account-info/2026-03/details`
SCHEMAS_VERSIONS = ("v3", "2026-03")  # [doc] `/crm-object-schemas/2026-03/schemas`
VALIDATING_BY_DEFAULT = frozenset({"2026-09"})
DAILY_LIMIT = 650_000
"""[doc] usage guidelines: a private app's daily limit on Professional (250,000 on Free and
Starter, 1,000,000 on Enterprise); OAuth apps have none, and answer no daily headers."""
ADMIN = f"{ADMIN_PREFIX}/hubspot"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def pipelines_prefix(version: str) -> str:
    """`/crm/v3/pipelines` or `/crm/pipelines/<date>`."""
    return "/crm/v3/pipelines" if version == "v3" else f"/crm/pipelines/{version}"


def objects_prefix(version: str) -> str:
    """`/crm/v3/objects` or `/crm/objects/<date>` ([doc] `/crm/objects/2026-03/contacts`)."""
    return "/crm/v3/objects" if version == "v3" else f"/crm/objects/{version}"


def account_info_path(version: str) -> str:
    """[doc] `/account-info/v3/details` and `/account-info/2026-03/details`."""
    return f"/account-info/{version}/details"


class HubSpotService:
    """The wire format and routes of a HubSpot portal's pipelines, deals, tickets and details."""

    name = "hubspot"
    base_path = ""  # [doc] every path starts at https://api.hubapi.com/
    rate_limit = 190  # [seen] private apps on Professional/Enterprise: 190 requests per 10 s
    rate_window_seconds = 10.0  # [doc] the burst limit is per 10 seconds
    auth_paths: frozenset[str] = frozenset()
    read_routes = frozenset(
        f"{objects_prefix(v)}/{{objectType}}/{verb}"
        for v in OBJECTS_VERSIONS
        for verb in ("search", "batch/read")
    )  # [doc] search and batch read are reads sent as POST

    def __init__(
        self,
        token: str,
        state: HubSpotState | None = None,
        portal_id: int = 62515,
        daily_limit: int | None = DAILY_LIMIT,
    ) -> None:
        self.tokens = {token}
        self.state = state or HubSpotState(portal_id=portal_id)
        self.daily_used = 0
        self.daily_limit = daily_limit
        """The app's daily limit by tier (`DAILY_LIMIT`); None for an OAuth app (no daily
        headers, no daily 429)."""
        self.search_limit = SearchLimit()

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """`--portal-id`: the account id `GET /account-info/v3/details` names;
        `--object-types`, `--custom-objects`: the other types with pipelines it has."""
        parser.add_argument("--portal-id", type=int, default=62515, help="the portal (account) id")
        parser.add_argument(
            "--object-types",
            default="",
            help="comma-separated types it has besides deals and tickets (leads, orders, ...)",
        )
        parser.add_argument(
            "--custom-objects", default="", help="comma-separated custom object type ids (2-123)"
        )

    @classmethod
    def from_arguments(cls, token: str, args: argparse.Namespace) -> HubSpotService:
        """An emulator accepting `token`, for the portal the arguments describe."""
        words = [w for w in str(getattr(args, "object_types", "")).split(",") if w]
        customs = tuple(w for w in str(getattr(args, "custom_objects", "")).split(",") if w)
        unknown = sorted(set(words) - set(STANDARD))
        if unknown:
            raise SystemExit(f"--object-types: unknown {', '.join(unknown)}")
        options = HubSpotOptions(object_types=frozenset(words), custom_objects=customs)
        portal_id = getattr(args, "portal_id", 62515)
        return cls(token=token, state=HubSpotState(options, portal_id=portal_id))

    def reset(self) -> None:
        self.state.reset()

    def snapshot(self) -> Any:
        return {
            "pipelines": [self._pipeline(p) for p in self.state.pipelines.values()],
            "records": [self._record(r) for r in self.state.records.values()],
        }

    def live_stages(self) -> list[tuple[str, str]]:
        return self.state.live_stages()

    def records_in(self, stage_id: str) -> int:
        """How many deals or tickets sit in the stage now."""
        return self.state.records_in(stage_id)

    def put_records(self, stage_id: str, count: int) -> list[str]:
        """Add `count` new deals (or tickets) to the stage; their ids."""
        return self.state.put_records(stage_id, count)

    def export_state(self) -> dict[str, Any]:
        return self.state.export_state()

    def import_state(self, data: dict[str, Any]) -> None:
        self.state.import_state(data)

    # Authentication, rate budget, errors.

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """[doc] a bearer token (private app or OAuth) on every call; 401 otherwise."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header.removeprefix("Bearer ") in self.tokens:
            return None
        error = HubSpotError(
            401,
            "INVALID_AUTHENTICATION",
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at "
            "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        )  # [seen] the message public threads quote
        return web.json_response(error.body, status=401)

    def rate_key(self, request: web.Request) -> str:
        """[doc] limits are per portal and app: one token, one budget."""
        return "app"

    def error_response(
        self, status: int, retry_at: float | None, window: RateWindow | None
    ) -> web.Response:
        if status == 429:  # [doc] usage-details: the 429 body; no Retry-After documented
            body = {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": HubSpotError(429, "RATE_LIMITS", "").body["correlationId"],
                "policyName": "TEN_SECONDLY_ROLLING",
            }
            response = web.json_response(body, status=429)
        else:  # guess: server errors in the usual error shape
            error = HubSpotError(status, "INTERNAL_ERROR", "Internal error")
            response = web.json_response(error.body, status=status)
        if retry_at is not None and window is None:  # a fault may ask for one
            response.headers["Retry-After"] = str(max(0, math.ceil(retry_at - time.time())))
        return response

    def rate_headers(self, window: RateWindow) -> dict[str, str]:
        """[doc] X-HubSpot-RateLimit-Max, -Remaining, -Interval-Milliseconds (the window, not a
        reset time), and the daily pair. guess: search answers carry them too (public threads say
        search answers lack them)."""
        self.daily_used += 1
        headers = {
            "X-HubSpot-RateLimit-Max": str(window.limit),
            "X-HubSpot-RateLimit-Remaining": str(window.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.rate_window_seconds * 1000)),
        }
        if self.daily_limit is not None:  # [doc] private apps only
            headers["X-HubSpot-RateLimit-Daily"] = str(self.daily_limit)
            remaining = max(0, self.daily_limit - self.daily_used)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(remaining)
        return headers

    def _daily_refusal(self) -> web.Response | None:
        """[doc] past the daily limit every call answers 429; [seen] the body's policyName
        DAILY and its message."""
        if self.daily_limit is None or self.daily_used < self.daily_limit:
            return None
        body = {
            "status": "error",
            "message": "You have reached your daily limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": HubSpotError(429, "RATE_LIMITS", "").body["correlationId"],
            "policyName": "DAILY",
        }
        return web.json_response(
            body,
            status=429,
            headers={
                "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining": "0",
            },
        )

    def route_error(self, request: web.Request, status: int) -> web.Response:
        """Unknown routes and methods answer in the usual error shape."""  # guess
        if status == 405:
            error = HubSpotError(
                405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.path}"
            )
        else:
            error = HubSpotError(404, "OBJECT_NOT_FOUND", f"No route for {request.path}")
        return web.json_response(error.body, status=status)

    # Routes.

    def routes(self) -> Iterable[web.RouteDef]:
        wrap = self._wrap
        found: list[web.RouteDef] = []
        for version in ACCOUNT_INFO_VERSIONS:
            found.append(web.get(account_info_path(version), wrap(self.details)))
        for version in SCHEMAS_VERSIONS:
            found.append(web.get(f"/crm-object-schemas/{version}/schemas", wrap(self.schemas)))
        for version in OBJECTS_VERSIONS:
            o = objects_prefix(version)
            found += [
                web.get(f"{o}/{{objectType}}", wrap(self.list_records)),
                web.post(f"{o}/{{objectType}}", wrap(self.create_record)),
                web.post(f"{o}/{{objectType}}/search", wrap(self.search)),
                web.post(f"{o}/{{objectType}}/batch/read", wrap(self.batch_read)),
                web.post(f"{o}/{{objectType}}/batch/update", wrap(self.batch_update)),
                web.get(f"{o}/{{objectType}}/{{recordId}}", wrap(self.get_record)),
                web.patch(f"{o}/{{objectType}}/{{recordId}}", wrap(self.update_record)),
            ]
        for version in PIPELINES_VERSIONS:
            p = pipelines_prefix(version)
            found += [
                web.get(f"{p}/{{objectType}}", wrap(self.list_pipelines)),
                web.post(f"{p}/{{objectType}}", wrap(self.create_pipeline)),
                web.get(f"{p}/{{objectType}}/{{pipelineId}}", wrap(self.get_pipeline)),
                web.patch(f"{p}/{{objectType}}/{{pipelineId}}", wrap(self.update_pipeline)),
                web.put(f"{p}/{{objectType}}/{{pipelineId}}", wrap(self.replace_pipeline)),
                web.delete(f"{p}/{{objectType}}/{{pipelineId}}", wrap(self.delete_pipeline)),
                web.get(f"{p}/{{objectType}}/{{pipelineId}}/stages", wrap(self.list_stages)),
                web.post(f"{p}/{{objectType}}/{{pipelineId}}/stages", wrap(self.create_stage)),
                web.get(
                    f"{p}/{{objectType}}/{{pipelineId}}/stages/{{stageId}}", wrap(self.get_stage)
                ),
                web.patch(
                    f"{p}/{{objectType}}/{{pipelineId}}/stages/{{stageId}}", wrap(self.update_stage)
                ),
                web.delete(
                    f"{p}/{{objectType}}/{{pipelineId}}/stages/{{stageId}}", wrap(self.delete_stage)
                ),
            ]
        found.append(web.put(f"{ADMIN}/stages/{{stageId}}/records", wrap(self.admin_records)))
        found.append(web.put(f"{ADMIN}/workflows/{{targetId}}", wrap(self.admin_workflow)))
        found.append(web.delete(f"{ADMIN}/workflows/{{targetId}}", wrap(self.admin_workflow)))
        found.append(web.put(f"{ADMIN}/rules/{{name}}", wrap(self.admin_rule)))
        found.append(web.delete(f"{ADMIN}/rules/{{name}}", wrap(self.admin_rule)))
        return found

    def _wrap(self, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            refused = None if request.path.startswith(ADMIN) else self._daily_refusal()
            if refused is not None:
                return refused
            try:
                return await handler(request)
            except HubSpotError as error:
                return web.json_response(error.body, status=error.status)

        return wrapped

    # Parsing.

    def _type(self, request: web.Request) -> str:
        return self.state.object_type(request.match_info["objectType"])

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise validation_error("Invalid input JSON: the body is not JSON") from None
        if not isinstance(body, dict):
            raise validation_error("Invalid input JSON: expected an object")
        return body

    @staticmethod
    def _flag(request: web.Request, name: str, default: bool) -> bool:
        raw = request.query.get(name)
        if raw is None:
            return default
        if raw.lower() not in ("true", "false"):
            raise validation_error(f"{name} must be true or false")
        return raw.lower() == "true"

    def _validates(self, request: web.Request, object_type: str) -> bool:
        """Whether a delete validates references: the object type's flag, defaulting to true
        on 2026-09 and false before ([doc] changelog; guess: v3 stage deletes honour the flag
        too, though the v3 client sends it only for pipelines)."""
        version = "v3" if request.path.startswith("/crm/v3/") else request.path.split("/")[3]
        # guess: v3 stage deletes honour the flag too
        return self._flag(
            request, self.state.kind(object_type).validate_param, version in VALIDATING_BY_DEFAULT
        )

    # Rendering.

    @staticmethod
    def _stage(stage: StoredStage) -> dict[str, Any]:
        """[doc] PipelineStage: id, label, displayOrder, metadata, createdAt, updatedAt,
        archived, writePermissions."""
        return {
            "id": stage.id,
            "label": stage.label,
            "displayOrder": stage.display_order,
            "metadata": dict(stage.metadata),
            "createdAt": stage.created_at,
            "updatedAt": stage.updated_at,
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }

    def _pipeline(self, pipeline: StoredPipeline) -> dict[str, Any]:
        """[doc] Pipeline: id, label, displayOrder, stages, createdAt, updatedAt, archived."""
        return {
            "id": pipeline.id,
            "label": pipeline.label,
            "displayOrder": pipeline.display_order,
            "stages": [self._stage(s) for s in pipeline.ordered()],
            "createdAt": pipeline.created_at,
            "updatedAt": pipeline.updated_at,
            "archived": pipeline.archived,
        }

    @staticmethod
    def _record(record: StoredRecord, asked: Any = None) -> dict[str, Any]:
        """[doc] a CRM object: id, properties (hs_object_id among them), dates, archived. With
        `asked` (a search's or batch read's `properties`), only those and the ones every answer
        carries, or the object's defaults when it names none ([doc] search guide)."""
        always = {
            "hs_object_id": record.id,
            "createdate": record.created_at,
            "hs_lastmodifieddate": record.updated_at,
        }
        properties = (
            {**record.properties, **always}
            if asked is None
            else shown(record.object_type, record.properties, asked, always)
        )
        return {
            "id": record.id,
            "properties": properties,
            "createdAt": record.created_at,
            "updatedAt": record.updated_at,
            "archived": False,
        }

    # Handlers.

    async def details(self, _request: web.Request) -> web.Response:
        """[doc] account-info details: portalId and the account's settings."""
        return web.json_response(
            {
                "portalId": self.state.portal_id,
                "accountType": "STANDARD",
                "timeZone": "US/Eastern",
                "companyCurrency": "USD",
                "additionalCurrencies": [],
                "utcOffset": "-05:00",
                "utcOffsetMilliseconds": -18000000,
                "uiDomain": "app.hubspot.com",
                "dataHostingLocation": "na1",
            }
        )

    async def schemas(self, _request: web.Request) -> web.Response:
        """[doc] the custom object schemas (`results`, each with its `objectTypeId`, `name` and
        `labels`). guess: the other fields of a schema are left out, and a portal without
        custom objects answers an empty list (not a 403 for its tier)."""
        results = [
            {
                "id": type_id.removeprefix("2-"),
                "objectTypeId": type_id,
                "name": f"object_{type_id.removeprefix('2-')}",
                "labels": {"singular": "Object", "plural": "Objects"},
                "archived": False,
            }
            for type_id in self.state.options.custom_objects
        ]
        return web.json_response({"results": results})

    async def list_pipelines(self, request: web.Request) -> web.Response:
        """[doc] `{"results": [...]}` with no paging (CollectionResponsePipelineNoPaging)."""
        pipelines = self.state.list_pipelines(self._type(request))
        return web.json_response({"results": [self._pipeline(p) for p in pipelines]})

    async def create_pipeline(self, request: web.Request) -> web.Response:
        pipeline = self.state.create_pipeline(self._type(request), await self._json(request))
        return web.json_response(self._pipeline(pipeline), status=201)

    async def get_pipeline(self, request: web.Request) -> web.Response:
        pipeline = self.state.pipeline(self._type(request), request.match_info["pipelineId"])
        return web.json_response(self._pipeline(pipeline))

    async def update_pipeline(self, request: web.Request) -> web.Response:
        pipeline = self.state.update_pipeline(
            self._type(request), request.match_info["pipelineId"], await self._json(request)
        )
        return web.json_response(self._pipeline(pipeline))

    async def replace_pipeline(self, request: web.Request) -> web.Response:
        """[doc] PUT: the whole pipeline, stages left out deleted (validated as a delete is)."""
        object_type = self._type(request)
        validate = self._validates(request, object_type)
        pipeline = self.state.replace_pipeline(
            object_type, request.match_info["pipelineId"], await self._json(request), validate
        )
        return web.json_response(self._pipeline(pipeline))

    async def delete_pipeline(self, request: web.Request) -> web.Response:
        object_type = self._type(request)
        validate = self._validates(request, object_type)
        self.state.delete_pipeline(object_type, request.match_info["pipelineId"], validate)
        return web.Response(status=204)

    async def list_stages(self, request: web.Request) -> web.Response:
        pipeline = self.state.pipeline(self._type(request), request.match_info["pipelineId"])
        return web.json_response({"results": [self._stage(s) for s in pipeline.ordered()]})

    async def create_stage(self, request: web.Request) -> web.Response:
        stage = self.state.create_stage(
            self._type(request), request.match_info["pipelineId"], await self._json(request)
        )
        return web.json_response(self._stage(stage), status=201)

    async def get_stage(self, request: web.Request) -> web.Response:
        info = request.match_info
        stage = self.state.stage(self._type(request), info["pipelineId"], info["stageId"])
        return web.json_response(self._stage(stage))

    async def update_stage(self, request: web.Request) -> web.Response:
        info = request.match_info
        stage = self.state.update_stage(
            self._type(request), info["pipelineId"], info["stageId"], await self._json(request)
        )
        return web.json_response(self._stage(stage))

    async def delete_stage(self, request: web.Request) -> web.Response:
        info = request.match_info
        object_type = self._type(request)
        validate = self._validates(request, object_type)
        self.state.delete_stage(object_type, info["pipelineId"], info["stageId"], validate)
        return web.Response(status=204)

    async def create_record(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        properties = body.get("properties")
        if not isinstance(properties, dict):
            raise validation_error("properties is required")
        associated = bool(body.get("associations"))  # [doc] SimplePublicObjectInputForCreate
        record = self.state.create_record(self._type(request), properties, associated)
        return web.json_response(self._record(record), status=201)

    async def list_records(self, request: web.Request) -> web.Response:
        """[doc] `{"results", "paging": {"next": {"after"}}}`, paging only when more."""
        limit_text = request.query.get("limit", "10")
        if not limit_text.isdigit():
            raise validation_error("limit must be an integer")
        page, following = self.state.list_records(
            self._type(request), int(limit_text), request.query.get("after")
        )
        body: dict[str, Any] = {"results": [self._record(r) for r in page]}
        if following is not None:
            body["paging"] = {"next": {"after": following}}
        return web.json_response(body)

    async def search(self, request: web.Request) -> web.Response:
        """[doc] `{"total", "results", "paging": {"next": {"after"}}}`, paging only when more;
        search has its own per-second limit per token (`search_limit.py`)."""
        refused = self.search_limit.refusal()
        if refused is not None:
            return web.json_response(refused, status=429)
        query = await self._json(request)
        total, page, following = self.state.search(self._type(request), query)
        asked = query.get("properties") or []
        body: dict[str, Any] = {
            "total": total,
            "results": [self._record(r, asked) for r in page],
        }
        if following is not None:
            body["paging"] = {"next": {"after": following}}
        return web.json_response(body)

    async def get_record(self, request: web.Request) -> web.Response:
        record = self.state.record(self._type(request), request.match_info["recordId"])
        return web.json_response(self._record(record))

    async def update_record(self, request: web.Request) -> web.Response:
        properties = (await self._json(request)).get("properties")
        if not isinstance(properties, dict):
            raise validation_error("properties is required")
        record = self.state.update_record(
            self._type(request), request.match_info["recordId"], properties
        )
        return web.json_response(self._record(record))

    @staticmethod
    def _batch_answer(results: list[dict[str, Any]], errors: list[dict[str, Any]]) -> web.Response:
        """[doc] BatchResponseSimplePublicObject(WithErrors): status COMPLETE, results, times;
        errors and numErrors with a 207 when any input failed ([doc] changelog)."""
        now = now_text()
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": now,
            "completedAt": now,
        }
        if errors:
            body.update(errors=errors, numErrors=len(errors))
        return web.json_response(body, status=207 if errors else 200)

    async def batch_read(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        found, errors = self.state.batch_read(self._type(request), body)
        asked = body.get("properties") or []
        return self._batch_answer([self._record(r, asked) for r in found], errors)

    async def batch_update(self, request: web.Request) -> web.Response:
        done, errors = self.state.batch_update(self._type(request), await self._json(request))
        return self._batch_answer([self._record(r) for r in done], errors)

    async def admin_workflow(self, request: web.Request) -> web.Response:
        """Admin: PUT `{"name": ...}` makes a workflow reference the pipeline or stage; DELETE
        removes it (a real portal's workflows are edited in its UI, not this API)."""
        target = request.match_info["targetId"]
        with self.state.lock:
            if request.method == "DELETE":
                self.state.workflows.pop(target, None)
                return web.json_response({}, status=200)
            name = (await self._json(request)).get("name")
            if not isinstance(name, str) or not name:
                raise validation_error('Expected {"name": "<workflow name>"}')
            self.state.workflows[target] = name
        return web.json_response({"target": target, "name": name}, status=201)

    async def admin_rule(self, request: web.Request) -> web.Response:
        """Admin: PUT `{"stage": id, "property": name}` sets a validation rule (a record in
        that stage needs the property); DELETE removes it (the fix an admin makes)."""
        name = request.match_info["name"]
        with self.state.lock:
            if request.method == "DELETE":
                self.state.rules.pop(name, None)
                return web.json_response({}, status=200)
            body = await self._json(request)
            stage, prop = body.get("stage"), body.get("property")
            if not isinstance(stage, str) or not isinstance(prop, str):
                raise validation_error('Expected {"stage": "<id>", "property": "<name>"}')
            self.state.rules[name] = {"stage": stage, "property": prop}
        return web.json_response({"name": name, "stage": stage, "property": prop}, status=201)

    async def admin_records(self, request: web.Request) -> web.Response:
        """Admin: add `{"count": N}` new records to a stage; `{"ids": [...]}`."""
        count = (await self._json(request)).get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise validation_error('Expected {"count": <whole number>}')
        ids = self.state.put_records(request.match_info["stageId"], count)
        return web.json_response({"ids": ids}, status=201)
