"""Outreach API v2 `stage` and `prospect` endpoints on the wire: JSON:API documents and errors,
auth, routes.

The account and its rules live in `state.py`, the listing query in `query.py`, tokens in
`oauth.py`; this module parses requests, renders responses and maps routes. Sources are named
beside each rule: [doc] developers.outreach.io (getting-started, making-requests, the OpenAPI),
[seen] public clients, [guess] where the documents are silent.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ..faults import RateWindow
from ..server import ADMIN_PREFIX, x_ratelimit_headers
from .oauth import AccessToken, OAuthError, OutreachOAuth
from .query import (
    PAGING,
    PROSPECT,
    STAGE,
    Cursors,
    ListingQuery,
    Page,
    Schema,
    check_single_parameters,
    parse_listing,
    select,
)
from .state import (
    JsonApiError,
    OutreachState,
    StoredProspect,
    StoredStage,
    bad_request,
    not_found,
)

JSON_API = "application/vnd.api+json"
OAUTH_TOKEN_PATH = "/oauth/token"
ADMIN = f"{ADMIN_PREFIX}/outreach"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _admin_field(raw: bytes, name: str) -> Any:
    """One field of an admin request's JSON body (None when absent or not JSON)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None


class OutreachService:
    """The wire format and routes of `/api/v2/stages`, `/api/v2/prospects` and `/oauth/token`,
    over an OutreachState."""

    name = "outreach"
    base_path = "/api/v2"
    rate_limit = 10_000  # [doc] getting-started#rate-limiting: 10,000 requests per user per hour
    rate_window_seconds = 3600.0
    auth_paths = frozenset({OAUTH_TOKEN_PATH})

    def __init__(
        self,
        token: str,
        state: OutreachState | None = None,
        oauth: OutreachOAuth | None = None,
        cursors: Cursors | None = None,
    ) -> None:
        self.state = state or OutreachState()
        self.oauth = oauth or OutreachOAuth()
        self.oauth.add_access_token(token, user_id=self.state.options.default_user_id)
        self.cursors = cursors or Cursors()

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Outreach's emulator has no flags of its own."""

    @classmethod
    def from_arguments(cls, token: str, args: argparse.Namespace) -> OutreachService:
        """An emulator accepting `token`."""
        return cls(token=token)

    def reset(self) -> None:
        self.state.reset()

    def export_state(self) -> dict[str, Any]:
        return self.state.export_state()

    def import_state(self, data: dict[str, Any]) -> None:
        self.state.import_state(data)

    def snapshot(self) -> Any:
        return {
            "stages": [self._resource(s, "") for s in self.state.listing()],
            "prospects": [self._prospect(p, "") for p in self.state.prospect_listing()],
        }

    def live_stages(self) -> list[tuple[str, str]]:
        return self.state.live_stages()

    # Records in stages, for tests.

    def records_in(self, stage_id: str) -> int:
        """How many prospects are in the stage now (0 for a stage that is gone)."""
        return self.state.prospects_in(int(stage_id))

    def put_records(self, stage_id: str, count: int) -> list[str]:
        """Add `count` new prospects to the stage; their ids."""
        return [str(i) for i in self.state.put_prospects(int(stage_id), count)]

    # Authentication, authorization, content type and the rate budget's key.

    def _token(self, request: web.Request) -> AccessToken | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = self.oauth.lookup(header.removeprefix("Bearer "))
        return None if token is None or token.expired(time.time()) else token

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        if request.path in self.auth_paths:
            return None
        token = self._token(request)
        if token is None:
            response = self._errors(
                JsonApiError(  # [guess] the id and wording: the docs name 403 ids only
                    401,
                    "unauthorized",
                    "Unauthorized",
                    "The access token is missing, invalid or expired.",
                )
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="Outreach"'  # [doc] RFC 6750
            return response
        lacking = token.lacking_scope(request.method, self._resource_of(request.path))
        if lacking is not None:
            return self._errors(
                JsonApiError(  # [doc] getting-started#authorization: id and wording
                    403,
                    "unauthorizedOauthScope",
                    "Unauthorized OAuth Scope",
                    f"Your authorization does not include the required scope '{lacking}'.",
                )
            )
        if request.method in token.forbidden_methods:
            return self._errors(
                JsonApiError(  # [doc] the scope is granted but the user's profile forbids it
                    403,
                    "unauthorizedRequest",
                    "Unauthorized Request",
                    "You are not authorized to perform that request.",
                )
            )
        bodiless = not request.body_exists and "Content-Type" not in request.headers
        if request.content_type != JSON_API and not bodiless:
            # [doc] making-requests#content-negotiation: "All requests must specify the JSON API
            # media type ... within the Content-Type request header", else 415 with this body.
            # [seen] but a bodiless request without the header is served: singer-io/tap-outreach,
            # a production client that reads Outreach daily through Stitch, sends none on its
            # GETs. guess: a wrong type on a bodiless request is still refused (no client seen).
            return web.json_response(
                {
                    "errors": [
                        {
                            "id": "unsupportedMediaType",
                            "title": "Unsupported Media Type",
                            "details": "Expected Content-Type header to be "
                            "'application/vnd.api+json'.",
                        }
                    ]
                },
                status=415,
                content_type=JSON_API,
            )
        return None

    def _resource_of(self, path: str) -> str:
        """The resource type a request is about, as scopes name it (`stages`, `prospects`)."""
        first = path.removeprefix(self.base_path).lstrip("/").split("/", 1)[0]
        return first if first in ("stages", "prospects") else "stages"

    def rate_key(self, request: web.Request) -> str:
        """[doc] the budget is per user: tokens of one user share it."""
        token = self._token(request)
        return f"user:{token.user_id if token is not None else 'anonymous'}"

    def routes(self) -> Iterable[web.RouteDef]:
        base = self.base_path
        return [
            web.get(f"{base}/stages", self._wrap(self.list_stages)),
            web.post(f"{base}/stages", self._wrap(self.create_stage)),
            web.get(f"{base}/stages/{{id}}", self._wrap(self.get_stage)),
            web.patch(f"{base}/stages/{{id}}", self._wrap(self.update_stage)),
            web.delete(f"{base}/stages/{{id}}", self._wrap(self.delete_stage)),
            web.get(f"{base}/prospects", self._wrap(self.list_prospects)),
            web.post(f"{base}/prospects", self._wrap(self.create_prospect)),
            web.get(f"{base}/prospects/{{id}}", self._wrap(self.get_prospect)),
            web.patch(f"{base}/prospects/{{id}}", self._wrap(self.update_prospect)),
            web.delete(f"{base}/prospects/{{id}}", self._wrap(self.delete_prospect)),
            web.post(OAUTH_TOKEN_PATH, self.token_grant),
            web.get(f"{ADMIN}/stages/{{id}}/prospects", self._wrap(self.prospects_in_stage)),
            web.post(f"{ADMIN}/stages/{{id}}/prospects", self._wrap(self.add_prospects)),
            web.put(f"{ADMIN}/stages/{{id}}/prospects", self._wrap(self.place_prospects)),
        ]

    async def token_grant(self, request: web.Request) -> web.Response:
        """`POST /oauth/token` with the refresh_token grant (form-encoded or JSON)."""
        if request.content_type == "application/json":
            form = {k: str(v) for k, v in (await request.json()).items()}
        else:
            form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            return web.json_response(self.oauth.refresh(form))
        except OAuthError as error:
            body = {"error": error.error, "error_description": error.description}
            return web.json_response(body, status=error.status)

    # Admin operations (not part of the API).

    async def place_prospects(self, request: web.Request) -> web.Response:
        """Admin: put these prospects in a stage (`{"ids": [1, 2]}`), making the ones that do not
        exist yet."""
        ids = _admin_field(await request.read(), "ids")
        if not isinstance(ids, list) or not all(_whole(i) for i in ids):
            raise bad_request('Expected {"ids": [<integer>, ...]}.')
        self.state.place_prospects(self._id(request), ids)
        return web.Response(status=204)

    async def add_prospects(self, request: web.Request) -> web.Response:
        """Admin: add `{"count": N}` new prospects to a stage; 201 `{"ids": [...]}`."""
        count = _admin_field(await request.read(), "count")
        if not _whole(count):
            raise bad_request('Expected {"count": <integer>}.')
        ids = self.state.put_prospects(self._id(request), count)
        return web.json_response({"ids": ids}, status=201)

    async def prospects_in_stage(self, request: web.Request) -> web.Response:
        """Admin: `{"count": N, "ids": [...]}` of the prospects in a stage, exactly."""
        stage_id = self._id(request)
        ids = [p.id for p in self.state.prospect_listing() if p.stage_id == stage_id]
        return web.json_response({"count": len(ids), "ids": ids})

    def _wrap(self, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except JsonApiError as error:
                return self._errors(error)

        return wrapped

    # Error documents.

    def _when(self, epoch: float) -> str:
        moment = datetime.fromtimestamp(math.ceil(epoch), UTC)
        return moment.strftime(self.state.options.retry_after_format)

    def error_response(
        self, status: int, retry_at: float | None, window: RateWindow | None
    ) -> web.Response:
        again = "again later" if retry_at is None else f"again at {self._when(retry_at)}"
        if status == 429:  # [doc] getting-started#rate-limiting: id and wording; the budget's
            # own 429 names its configured limit, an injected one the documented 10,000
            limit = window.limit if window is not None else self.rate_limit
            error = JsonApiError(
                429,
                "rateLimitExceeded",
                "Rate Limit Exceeded",
                f"You have exceeded your permitted rate limit of {limit:,}; please try {again}.",
            )
        elif status == 503:  # [doc] getting-started#maintenance: id; [guess] the wording
            error = JsonApiError(
                503,
                "scheduledServerMaintenance",
                "Scheduled Server Maintenance",
                f"Scheduled server maintenance is under way; please try {again}.",
            )
        else:  # [guess] the body of other server errors
            error = JsonApiError(
                status, "internalServerError", "Internal Server Error", "Something went wrong."
            )
        response = self._errors(error)
        if retry_at is not None:
            # [doc] a timestamp, not seconds: on 503 the end of maintenance, on 429 the reset
            # time (getting-started#maintenance, #rate-limiting); written per
            # OutreachOptions.retry_after_format, UTC, e.g. 2017-01-01T00:00:00.
            response.headers["Retry-After"] = self._when(retry_at)
        return response

    def rate_headers(self, window: RateWindow) -> dict[str, str]:
        """[doc] X-RateLimit-Limit, -Remaining, -Reset on every response; [seen] the reset in
        epoch seconds."""
        return x_ratelimit_headers(window)

    def route_error(self, request: web.Request, status: int) -> web.Response:
        """[doc] errors are JSON:API error documents; [guess] these ids and wordings."""
        if status == 405:
            error = JsonApiError(
                405,
                "methodNotAllowed",
                "Method Not Allowed",
                f"{request.method} is not allowed on {request.path}.",
            )
        else:
            error = JsonApiError(
                status,
                "resourceNotFound",
                "Resource Not Found",
                f"No route matches {request.method} {request.path}.",
            )
        return self._errors(error)

    def _errors(self, error: JsonApiError) -> web.Response:
        return web.json_response(
            {"errors": [error.body]}, status=error.status, content_type=JSON_API
        )

    # Documents.

    def _document(self, data: Any, status: int = 200, **extra: Any) -> web.Response:
        return web.json_response({"data": data, **extra}, status=status, content_type=JSON_API)

    def _root(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}{self.base_path}"

    def _resource(
        self,
        stage: StoredStage,
        root: str,
        fields: set[str] | None = None,
        caller: AccessToken | None = None,
    ) -> dict[str, Any]:
        attributes = {
            "color": stage.color,
            "createdAt": stage.created_at,
            "name": stage.name,
            "order": stage.order,
            "updatedAt": stage.updated_at,
        }
        if fields is not None:
            attributes = {k: v for k, v in attributes.items() if k in fields}
        resource: dict[str, Any] = {
            "type": "stage",
            "id": stage.id,
            "attributes": attributes,
            "relationships": {
                "creator": {"data": {"type": "user", "id": stage.creator_id}},
                "updater": {"data": {"type": "user", "id": stage.updater_id}},
                "prospects": {
                    "links": {"related": f"{root}/prospects?filter[stage][id]={stage.id}"}
                },
            },
            "links": {"self": f"{root}/stages/{stage.id}"},
        }
        if caller is not None:  # [doc] canWrite/canDelete metadata; [guess] under `meta`
            resource["meta"] = {
                "canWrite": self._may(caller, "PATCH"),
                "canDelete": self._may(caller, "DELETE"),
            }
        return resource

    def _prospect(
        self,
        prospect: StoredProspect,
        root: str,
        fields: set[str] | None = None,
        caller: AccessToken | None = None,
    ) -> dict[str, Any]:
        """[doc] prospect OpenAPI (prospectResponse): type, integer id, attributes (a few of
        them here; `name` is the read-only full name), relationships with `stage.data` a stage
        identifier or null, and the creator/updater users."""
        attributes: dict[str, Any] = {
            "company": prospect.company,
            "createdAt": prospect.created_at,
            "emails": list(prospect.emails),
            "firstName": prospect.first_name,
            "lastName": prospect.last_name,
            "name": prospect.name,
            "title": prospect.title,
            "updatedAt": prospect.updated_at,
        }
        if fields is not None:
            attributes = {k: v for k, v in attributes.items() if k in fields}
        stage = None if prospect.stage_id is None else {"type": "stage", "id": prospect.stage_id}
        resource: dict[str, Any] = {
            "type": "prospect",
            "id": prospect.id,
            "attributes": attributes,
            "relationships": {
                "creator": {"data": {"type": "user", "id": prospect.creator_id}},
                "stage": {"data": stage},
                "updater": {"data": {"type": "user", "id": prospect.updater_id}},
            },
            "links": {"self": f"{root}/prospects/{prospect.id}"},
        }
        if caller is not None:  # [doc] canWrite/canDelete metadata; [guess] under `meta`
            resource["meta"] = {
                "canWrite": self._may(caller, "PATCH", "prospects"),
                "canDelete": self._may(caller, "DELETE", "prospects"),
            }
        return resource

    @staticmethod
    def _may(token: AccessToken, method: str, resource: str = "stages") -> bool:
        return (
            token.lacking_scope(method, resource) is None and method not in token.forbidden_methods
        )

    def _single_options(
        self, request: web.Request, schema: Schema
    ) -> tuple[set[str] | None, AccessToken | None]:
        """The sparse fieldset (`fields[<type>]`) and the caller, when authorization metadata is
        asked for, of a single-resource call."""
        check_single_parameters(request.query.keys())
        fields = request.query.get(f"fields[{schema.type}]")
        wanted = set(fields.split(",")) - {""} if fields is not None else None
        meta = request.query.get("provideAuthorizationMeta", "false").lower() == "true"
        return wanted, self._token(request) if meta else None

    def _single(self, request: web.Request, stage: StoredStage, status: int = 200) -> web.Response:
        wanted, caller = self._single_options(request, STAGE)
        resource = self._resource(stage, self._root(request), wanted, caller)
        return self._document(resource, status=status)

    def _single_prospect(
        self, request: web.Request, prospect: StoredProspect, status: int = 200
    ) -> web.Response:
        wanted, caller = self._single_options(request, PROSPECT)
        resource = self._prospect(prospect, self._root(request), wanted, caller)
        return self._document(resource, status=status)

    @staticmethod
    def _id(request: web.Request, kind: str = "stage") -> int:
        raw = request.match_info["id"]
        if not raw.isdigit():
            raise not_found(raw, kind)
        return int(raw)

    def _user(self, request: web.Request) -> int:
        token = self._token(request)
        return token.user_id if token is not None else self.state.options.default_user_id

    @staticmethod
    async def _data(request: web.Request, kind: str, id_: int | None) -> dict[str, Any]:
        """The resource object of a write: `{"data": {"type": kind, ...}}`; on PATCH its id must
        be the URL's ([doc] PATCH requires type and id)."""
        try:
            body = json.loads(await request.read())
        except ValueError as exc:
            raise bad_request("Body is not JSON.") from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != kind:
            raise JsonApiError(  # [guess] 409 as the JSON:API spec says for a type mismatch
                409, "conflict", "Conflict", f"Expected a resource object of type '{kind}'."
            )
        if id_ is not None and data.get("id") != id_:  # [doc] PATCH requires type and id
            raise JsonApiError(409, "conflict", "Conflict", f"Body id must match the URL id {id_}.")
        attributes = data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise bad_request("attributes must be an object.")
        return data

    @classmethod
    async def _attributes(cls, request: web.Request, id_: int | None) -> dict[str, Any]:
        data = await cls._data(request, "stage", id_)
        attributes: dict[str, Any] = data.get("attributes") or {}
        return attributes

    # Listings.

    def _listing(
        self,
        request: web.Request,
        query: ListingQuery,
        page: Page[Any],
        data: list[dict[str, Any]],
        count: int,
    ) -> web.Response:
        """A collection document: the page, cursor links (first, prev, next), and with
        `count=true` the count in `meta.count` ([doc] making-requests: pagination and count)."""
        kept = [(k, v) for k, v in request.query.items() if k not in PAGING]
        kept.append(("page[size]", str(query.size)))
        first = request.url.with_query(kept)
        links = {"first": str(first)}
        kind = query.schema.type
        if page.prev_key is not None:  # [doc] cursor links first/prev/next
            cursor = self.cursors.make(query.sort_text, page.prev_key, kind)
            links["prev"] = str(request.url.with_query([*kept, ("page[before]", cursor)]))
        if page.next_key is not None:
            cursor = self.cursors.make(query.sort_text, page.next_key, kind)
            links["next"] = str(request.url.with_query([*kept, ("page[after]", cursor)]))
        extra: dict[str, Any] = {"links": links}
        if query.count:  # [doc] count=true adds meta.count
            extra["meta"] = {"count": count}
        return self._document(data, **extra)

    # Handlers.

    async def list_stages(self, request: web.Request) -> web.Response:
        query = parse_listing(list(request.query.items()), self.state.options, self.cursors)
        on_stages = (
            self.state.stages_with_prospects(query.prospect_ids)
            if query.prospect_ids is not None
            else None
        )
        page = select(self.state.listing(), query, on_stages)
        root = self._root(request)
        caller = self._token(request) if query.authorization_meta else None
        data = [self._resource(s, root, query.fields, caller) for s in page.items]
        return self._listing(request, query, page, data, page.total)

    async def create_stage(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        stage = self.state.create(await self._attributes(request, None), self._user(request))
        return self._single(request, stage, status=201)

    async def get_stage(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        return self._single(request, self.state.get(self._id(request)))

    async def update_stage(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        id_ = self._id(request)
        attributes = await self._attributes(request, id_)
        return self._single(request, self.state.update(id_, attributes, self._user(request)))

    async def delete_stage(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        self.state.delete(self._id(request))
        return web.Response(status=204)

    async def list_prospects(self, request: web.Request) -> web.Response:
        """`GET /prospects`: [doc] filter[stage][id]=X (and [name]), the documented attribute
        filters, sort, cursor paging; `meta.count` as `OutreachOptions.count_mode` says."""
        options = self.state.options
        query = parse_listing(list(request.query.items()), options, self.cursors, PROSPECT)
        only = self.state.prospect_ids_matching(query.relations)
        page = select(self.state.prospect_listing(), query, only)
        root = self._root(request)
        caller = self._token(request) if query.authorization_meta else None
        data = [self._prospect(p, root, query.fields, caller) for p in page.items]
        count = options.reported_count(page.total, len(page.items))
        return self._listing(request, query, page, data, count)

    async def create_prospect(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        data = await self._data(request, "prospect", None)
        prospect = self.state.create_prospect(
            data.get("attributes") or {}, data.get("relationships"), self._user(request)
        )
        return self._single_prospect(request, prospect, status=201)

    async def get_prospect(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        prospect = self.state.get_prospect(self._id(request, "prospect"))
        return self._single_prospect(request, prospect)

    async def update_prospect(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        id_ = self._id(request, "prospect")
        data = await self._data(request, "prospect", id_)
        prospect = self.state.update_prospect(
            id_, data.get("attributes") or {}, data.get("relationships"), self._user(request)
        )
        return self._single_prospect(request, prospect)

    async def delete_prospect(self, request: web.Request) -> web.Response:
        check_single_parameters(request.query.keys())
        self.state.delete_prospect(self._id(request, "prospect"))
        return web.Response(status=204)
