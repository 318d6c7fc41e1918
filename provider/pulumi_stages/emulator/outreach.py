"""An emulator of Outreach API v2 `stage` endpoints: JSON:API envelopes, errors and cursor paging.

State and rules live in `OutreachState` (no HTTP); `OutreachService` renders the wire format and
routes. Behaviour follows the vendor's reference where it is documented; each guess is marked
`[guess]`, and those a client could come to depend on are switches in `OutreachOptions`. Names
are not required to be unique ([guess], as api-notes.md advises: do not depend on it).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .outreach_oauth import OAuthError, OutreachOAuth

JSON_API = "application/vnd.api+json"
OAUTH_TOKEN_PATH = "/oauth/token"
WRITABLE = ("name", "color", "order")
MAX_TEXT = 255


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class OutreachOptions:
    """Switches for undocumented behaviour."""

    default_page_size: int = 50
    max_page_size: int = 1000  # [guess] larger page[size] values are capped, not refused
    require_content_type_on_reads: bool = False  # [guess] the reference only shows it on writes
    creator_user_id: int = 1


class JsonApiError(Exception):
    """An error the API answers with `{"errors": [...]}`."""

    def __init__(
        self, status: int, id_: str, title: str, detail: str, pointer: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.body: dict[str, Any] = {"id": id_, "title": title, "detail": detail}
        if pointer:
            self.body["source"] = {"pointer": pointer}


def not_found(id_: object) -> JsonApiError:
    """404 `resourceNotFound`, as Outreach words it."""
    return JsonApiError(
        404, "resourceNotFound", "Resource Not Found", f"Could not find 'stage' with ID '{id_}'."
    )


@dataclass
class StoredStage:
    """One stage as the emulator keeps it."""

    id: int
    name: str
    color: str | None
    order: int | None
    created_at: str
    updated_at: str


@dataclass
class OutreachState:
    """The account's stages and the API's rules about them; thread-safe, no HTTP."""

    options: OutreachOptions = field(default_factory=OutreachOptions)
    stages: dict[int, StoredStage] = field(default_factory=dict)
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _validate(self, attributes: dict[str, Any], creating: bool) -> None:
        for key in attributes:
            if key not in WRITABLE:
                raise JsonApiError(  # [guess] the exact id for an unknown attribute
                    422,
                    "validationError",
                    "Validation Error",
                    f"'{key}' is not a writable attribute of stage.",
                    f"/data/attributes/{key}",
                )
        name = attributes.get("name")
        if (creating or "name" in attributes) and (not isinstance(name, str) or not name.strip()):
            raise JsonApiError(
                422,
                "validationError",
                "Validation Error",
                "Name can't be blank.",
                "/data/attributes/name",
            )
        for key in ("name", "color"):
            value = attributes.get(key)
            if value is not None and not isinstance(value, str):
                raise JsonApiError(
                    422,
                    "validationError",
                    "Validation Error",
                    f"{key.capitalize()} must be a string.",
                    f"/data/attributes/{key}",
                )
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise JsonApiError(
                    422,
                    "validationDataTooLongError",
                    "Validation Data Too Long Error",
                    f"{key.capitalize()} is too long (maximum is {MAX_TEXT} characters).",
                    f"/data/attributes/{key}",
                )
        order = attributes.get("order")
        if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
            raise JsonApiError(
                422,
                "validationError",
                "Validation Error",
                "Order must be an integer.",
                "/data/attributes/order",
            )

    def create(self, attributes: dict[str, Any]) -> StoredStage:
        """Add a stage; name is required."""
        self._validate(attributes, creating=True)
        with self.lock:
            now = _now()
            stage = StoredStage(
                id=self.next_id,
                name=attributes["name"],
                color=attributes.get("color"),
                order=attributes.get("order"),
                created_at=now,
                updated_at=now,
            )
            self.stages[stage.id] = stage
            self.next_id += 1
            return stage

    def get(self, id_: int) -> StoredStage:
        """The stage with this id, or 404."""
        with self.lock:
            stage = self.stages.get(id_)
        if stage is None:
            raise not_found(id_)
        return stage

    def update(self, id_: int, attributes: dict[str, Any]) -> StoredStage:
        """Change the given attributes."""
        self._validate(attributes, creating=False)
        with self.lock:
            stage = self.stages.get(id_)
            if stage is None:
                raise not_found(id_)
            for key, value in attributes.items():
                setattr(stage, key, value)
            stage.updated_at = _now()
            return stage

    def delete(self, id_: int) -> None:
        """Remove a stage, or 404."""
        with self.lock:
            if self.stages.pop(id_, None) is None:
                raise not_found(id_)

    def listing(self) -> list[StoredStage]:
        """Every stage, by id."""
        with self.lock:
            return sorted(self.stages.values(), key=lambda s: s.id)

    def reset(self) -> None:
        """An empty account."""
        with self.lock:
            self.stages.clear()
            self.next_id = 1

    def export_state(self) -> dict[str, Any]:
        """The account as plain JSON, to persist between runs."""
        with self.lock:
            return {"next_id": self.next_id, "stages": [asdict(s) for s in self.stages.values()]}

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the account with one exported earlier."""
        with self.lock:
            self.stages = {s["id"]: StoredStage(**s) for s in data.get("stages", [])}
            self.next_id = int(data.get("next_id", 1))


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"stage:{offset}".encode()).decode().rstrip("=")


def _uncursor(token: str) -> int:
    padded = token + "=" * (-len(token) % 4)
    try:
        return int(base64.urlsafe_b64decode(padded).decode().split(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise JsonApiError(400, "badRequest", "Bad Request", "Invalid page[after] cursor.") from exc


ATTRIBUTE_OF = {
    "id": "id",
    "name": "name",
    "color": "color",
    "order": "order",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
SORTABLE = ("id", "name", "order", "createdAt", "updatedAt")
OPEN_LOW = ("-inf", "neginf")  # [guess] both spellings of an open lower end are accepted


def _bad_query(detail: str) -> JsonApiError:
    return JsonApiError(400, "badRequest", "Bad Request", detail)


def _matches(stage: StoredStage, attribute: str, wanted: str) -> bool:
    """One `filter[attr]=...`: a list (a,b), a range (from..to; open ends inf, -inf), or a value."""
    value = getattr(stage, ATTRIBUTE_OF[attribute])
    if ".." in wanted:
        low, high = wanted.split("..", 1)
        text = "" if value is None else str(value)
        if attribute in ("id", "order"):
            number = -1 if value is None else int(value)
            return (low in OPEN_LOW or number >= int(low)) and (
                high == "inf" or number <= int(high)
            )
        return (low in OPEN_LOW or text >= low) and (high == "inf" or text <= high)
    return str(value) in wanted.split(",")


def filter_stages(stages: list[StoredStage], query: dict[str, str]) -> list[StoredStage]:
    """Apply every `filter[attr]=...` of the query."""
    for key, wanted in query.items():
        if not (key.startswith("filter[") and key.endswith("]")):
            continue
        attribute = key[len("filter[") : -1]
        if attribute not in ATTRIBUTE_OF:
            raise _bad_query(f"Unknown filter '{attribute}'.")
        try:
            stages = [s for s in stages if _matches(s, attribute, wanted)]
        except ValueError as exc:
            raise _bad_query(f"Invalid value for filter[{attribute}].") from exc
    return stages


def sort_stages(stages: list[StoredStage], sort: str | None) -> list[StoredStage]:
    """Apply `sort=a,-b` (stable, last key applied first); unsorted listings go by id."""
    ordered = sorted(stages, key=lambda s: s.id)
    for key in reversed([k for k in (sort or "").split(",") if k]):
        attribute = key.lstrip("-")
        if attribute not in SORTABLE:
            raise _bad_query(f"Cannot sort by '{attribute}'.")
        field_name = ATTRIBUTE_OF[attribute]
        ordered.sort(
            key=lambda s: (getattr(s, field_name) is None, getattr(s, field_name) or 0),
            reverse=key.startswith("-"),
        )
    return ordered


class OutreachService:
    """The wire format and routes of `/api/v2/stages`, over an OutreachState."""

    name = "outreach"
    base_path = "/api/v2"
    rate_limit = 10_000  # per user per hour, as documented
    rate_window_seconds = 3600.0
    unmetered_paths = frozenset({OAUTH_TOKEN_PATH})

    def __init__(
        self, token: str, state: OutreachState | None = None, oauth: OutreachOAuth | None = None
    ) -> None:
        self.state = state or OutreachState()
        self.oauth = oauth or OutreachOAuth()
        self.oauth.add_access_token(token)

    def reset(self) -> None:
        self.state.reset()

    def export_state(self) -> dict[str, Any]:
        return self.state.export_state()

    def import_state(self, data: dict[str, Any]) -> None:
        self.state.import_state(data)

    def snapshot(self) -> Any:
        return {"stages": [self._resource(s, "") for s in self.state.listing()]}

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        if request.path == OAUTH_TOKEN_PATH:
            return None
        header = request.headers.get("Authorization", "")
        token = self.oauth.lookup(header.removeprefix("Bearer ")) if header else None
        if token is None or token.expired(time.time()):
            return self._errors(
                JsonApiError(  # [guess] the id and wording of a missing, bad or expired token
                    401,
                    "unauthorizedRequest",
                    "Unauthorized Request",
                    "The access token is missing, invalid or expired.",
                )
            )
        lacking = token.allows(request.method)
        if lacking is not None:
            return self._errors(
                JsonApiError(  # [guess] the wording; the id is documented
                    403,
                    "unauthorizedOauthScope",
                    "Unauthorized OAuth Scope",
                    f"The OAuth scope '{lacking}' (or 'stages.all') is required for this request.",
                )
            )
        has_body = request.method in ("POST", "PATCH", "PUT")
        checks_type = has_body or self.state.options.require_content_type_on_reads
        if checks_type and request.content_type != JSON_API:
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

    def routes(self) -> Iterable[web.RouteDef]:
        base = self.base_path
        return [
            web.get(f"{base}/stages", self._wrap(self.list_stages)),
            web.post(f"{base}/stages", self._wrap(self.create_stage)),
            web.get(f"{base}/stages/{{id}}", self._wrap(self.get_stage)),
            web.patch(f"{base}/stages/{{id}}", self._wrap(self.update_stage)),
            web.delete(f"{base}/stages/{{id}}", self._wrap(self.delete_stage)),
            web.post(OAUTH_TOKEN_PATH, self.token_grant),
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

    def _wrap(self, handler: Any) -> Any:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)  # type: ignore[no-any-return]
            except JsonApiError as error:
                return self._errors(error)

        return wrapped

    def error_response(self, status: int, retry_after: int | None) -> web.Response:
        if status == 429:
            again = datetime.now(UTC).replace(microsecond=0).isoformat()
            error = JsonApiError(
                429,
                "rateLimitExceeded",
                "Rate Limit Exceeded",
                f"You have exceeded your permitted rate limit of {self.rate_limit:,}; "
                f"please try again at {again}.",
            )
        elif status == 503:
            error = JsonApiError(
                503,
                "scheduledServerMaintenance",
                "Scheduled Server Maintenance",
                "The API is down for scheduled maintenance; please try again later.",
            )
        else:  # [guess] the body of other server errors
            error = JsonApiError(
                status, "internalServerError", "Internal Server Error", "Something went wrong."
            )
        response = self._errors(error)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _errors(self, error: JsonApiError) -> web.Response:
        return web.json_response(
            {"errors": [error.body]}, status=error.status, content_type=JSON_API
        )

    def _document(self, data: Any, status: int = 200, **extra: Any) -> web.Response:
        return web.json_response({"data": data, **extra}, status=status, content_type=JSON_API)

    def _root(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}{self.base_path}"

    def _resource(
        self,
        stage: StoredStage,
        root: str,
        fields: set[str] | None = None,
        authorization: bool = False,
    ) -> dict[str, Any]:
        user = {"data": {"type": "user", "id": self.state.options.creator_user_id}}
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
                "creator": user,
                "updater": user,
                "prospects": {
                    "links": {"related": f"{root}/prospects?filter[stage][id]={stage.id}"}
                },
            },
            "links": {"self": f"{root}/stages/{stage.id}"},
        }
        if authorization:  # [guess] where Outreach puts the authorization meta
            resource["meta"] = {"canWrite": True, "canDelete": True}
        return resource

    @staticmethod
    def _id(request: web.Request) -> int:
        raw = request.match_info["id"]
        if not raw.isdigit():
            raise not_found(raw)
        return int(raw)

    @staticmethod
    async def _attributes(request: web.Request, id_: int | None) -> dict[str, Any]:
        try:
            body = json.loads(await request.read())
        except ValueError as exc:
            raise JsonApiError(400, "badRequest", "Bad Request", "Body is not JSON.") from exc
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != "stage":
            raise JsonApiError(  # [guess] 409 as the JSON:API spec says for a type mismatch
                409, "conflict", "Conflict", "Expected a resource object of type 'stage'."
            )
        if id_ is not None and data.get("id") != id_:
            raise JsonApiError(409, "conflict", "Conflict", f"Body id must match the URL id {id_}.")
        attributes = data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise JsonApiError(400, "badRequest", "Bad Request", "attributes must be an object.")
        return attributes

    async def list_stages(self, request: web.Request) -> web.Response:
        options = self.state.options
        try:
            size = int(request.query.get("page[size]", options.default_page_size))
        except ValueError as exc:
            raise JsonApiError(400, "badRequest", "Bad Request", "Invalid page[size].") from exc
        size = max(1, min(size, options.max_page_size))
        query = dict(request.query)
        stages = sort_stages(filter_stages(self.state.listing(), query), query.get("sort"))
        start = _uncursor(query["page[after]"]) if query.get("page[after]") else 0
        page = stages[start : start + size]
        root = self._root(request)
        plain = {k: v for k, v in query.items() if k != "page[after]"}
        plain["page[size]"] = str(size)
        first = request.url.with_query(plain)
        links = {"first": str(first)}
        if start > 0:
            previous = max(0, start - size)
            links["prev"] = str(
                first.update_query({"page[after]": _cursor(previous)}) if previous else first
            )
        if start + size < len(stages):
            links["next"] = str(first.update_query({"page[after]": _cursor(start + size)}))
        fields = query.get("fields[stage]")
        wanted = set(fields.split(",")) if fields is not None else None
        authorization = query.get("provideAuthorizationMeta") == "true"
        data = [self._resource(s, root, wanted, authorization) for s in page]
        extra: dict[str, Any] = {"links": links}
        if query.get("count") == "true":
            extra["meta"] = {"count": len(stages)}
        return self._document(data, **extra)

    async def create_stage(self, request: web.Request) -> web.Response:
        stage = self.state.create(await self._attributes(request, None))
        return self._document(self._resource(stage, self._root(request)), status=201)

    async def get_stage(self, request: web.Request) -> web.Response:
        stage = self.state.get(self._id(request))
        return self._document(self._resource(stage, self._root(request)))

    async def update_stage(self, request: web.Request) -> web.Response:
        id_ = self._id(request)
        stage = self.state.update(id_, await self._attributes(request, id_))
        return self._document(self._resource(stage, self._root(request)))

    async def delete_stage(self, request: web.Request) -> web.Response:
        self.state.delete(self._id(request))
        return web.Response(status=204)
