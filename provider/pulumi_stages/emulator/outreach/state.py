"""An Outreach account as the emulator keeps it: stages, the prospects in them, their rules, and
errors as data. No HTTP.

Behaviour follows the vendor's reference where it is documented ([doc]: developers.outreach.io,
its OpenAPI for `stage` and `prospect`, the latter mirrored in api-evangelist/outreach
openapi/outreach-prospect-api-openapi.yml); each guess is marked [guess], and those a client
could come to depend on are switches in `OutreachOptions`. Names are not required to be unique
([guess], as api-notes.md advises: do not depend on it).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .oauth import DEFAULT_USER_ID

WRITABLE = ("name", "color", "order")
MAX_TEXT = 255  # [doc] OpenAPI: name and color have maxLength 255
PROSPECT_TEXT = {
    "firstName": "first_name",
    "lastName": "last_name",
    "title": "title",
    "company": "company",
}
"""[doc] prospect OpenAPI: nullable strings, firstName, lastName and title of at most 255
characters (company has no documented limit; [guess] the same). The emulator keeps these and
`emails` of the vendor's many attributes [guess: others are refused, so a test notices]."""
PROSPECT_RELATIONSHIPS = ("stage",)
"""The relationships a prospect write may set here ([doc] stage is writable; the vendor has
more, [guess] the emulator refuses them)."""


class CountMode(StrEnum):
    """How `meta.count` of a prospect listing (`count=true`) is reported. The issue this models:
    "Outreach's count can be truncated or zero under load: never treat an unconfirmed zero as
    empty." [guess] how exactly; the data pages stay right in every mode."""

    EXACT = "exact"
    """The number of matching prospects."""
    TRUNCATED = "truncated"
    """At most the number of prospects on the page answered: a busy count that gave up early."""
    ZERO_UNDER_LOAD = "zero_under_load"
    """Always 0, whatever matches."""


def now_text() -> str:
    """The current time as the API writes timestamps."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class OutreachOptions:
    """Switches for undocumented behaviour."""

    default_page_size: int = 50  # [doc] developers.outreach.io/api/making-requests: 50
    max_page_size: int = 1000  # [doc] the same page: page[limit] at most 1,000 (offset paging);
    # [guess] the same ceiling for page[size]
    cap_oversized_pages: bool = False  # [guess] False: page[size] out of 1..max is a 400
    default_user_id: int = DEFAULT_USER_ID  # creator/updater of stages made without a token
    count_mode: CountMode = CountMode.EXACT
    """How `GET /prospects?count=true` reports `meta.count` ([guess] see CountMode); stage
    listings always count exactly."""
    retry_after_format: str = "%Y-%m-%dT%H:%M:%S"
    """How Retry-After times are written (UTC). [doc] a timestamp, not seconds: on 503 the end of
    maintenance, on 429 the reset time (developers.outreach.io/api/getting-started#maintenance and
    #rate-limiting, as catalogued in api-evangelist/outreach errors/outreach-error-codes.yml);
    [guess] the zone-less ISO 8601 form of the docs' own example, "please try again at
    2017-01-01T00:00:00"."""

    def reported_count(self, total: int, served: int) -> int:
        """The `meta.count` a prospect listing reports for `total` matches, `served` of them on
        the page answered."""
        if self.count_mode is CountMode.ZERO_UNDER_LOAD:
            return 0
        if self.count_mode is CountMode.TRUNCATED:
            return min(total, served)
        return total


class JsonApiError(Exception):
    """An error the API answers with `{"errors": [...]}`: its status and one error object."""

    def __init__(
        self, status: int, id_: str, title: str, detail: str, pointer: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.body: dict[str, Any] = {"id": id_, "title": title, "detail": detail}
        if pointer:
            self.body["source"] = {"pointer": pointer}


def not_found(id_: object, kind: str = "stage") -> JsonApiError:
    """404 `resourceNotFound`, worded as the docs' example ("Could not find 'prospect' with ID
    '1'.", developers.outreach.io/api/making-requests)."""
    return JsonApiError(
        404, "resourceNotFound", "Resource Not Found", f"Could not find '{kind}' with ID '{id_}'."
    )


def bad_request(detail: str) -> JsonApiError:
    """400 for a query the API cannot answer. [doc] 400 is the answer to unacceptable query
    parameters (developers.outreach.io/api/making-requests, actions); [guess] the id and title."""
    return JsonApiError(400, "badRequest", "Bad Request", detail)


def _invalid(
    detail: str, attribute: str, id_: str = "validationError", member: str = "attributes"
) -> JsonApiError:
    title = (
        "Validation Data Too Long Error"
        if id_ == "validationDataTooLongError"
        else ("Validation Error")
    )
    return JsonApiError(422, id_, title, detail, f"/data/{member}/{attribute}")


@dataclass
class StoredStage:
    """One stage as the emulator keeps it."""

    id: int
    name: str
    color: str | None
    order: int | None
    created_at: str
    updated_at: str
    creator_id: int = DEFAULT_USER_ID
    updater_id: int = DEFAULT_USER_ID


@dataclass
class StoredProspect:
    """One prospect as the emulator keeps it: a few of its attributes and the stage it is in."""

    id: int
    first_name: str | None
    last_name: str | None
    created_at: str
    updated_at: str
    stage_id: int | None = None
    """[doc] relationship `stage`: "The stage the prospect is in", or null ("No Stage")."""
    emails: list[str] = field(default_factory=list)
    title: str | None = None
    company: str | None = None
    creator_id: int = DEFAULT_USER_ID
    updater_id: int = DEFAULT_USER_ID

    @property
    def name(self) -> str | None:
        """[doc] read-only `name`: the full name ([guess] first and last joined)."""
        full = " ".join(part for part in (self.first_name, self.last_name) if part)
        return full or None


def _stage_reference(relationships: Any) -> tuple[bool, int | None]:
    """Whether a write's `relationships` sets the stage, and to which id (None: no stage).

    [doc] prospect OpenAPI: `stage.data` is `{"type": "stage", "id": <integer>}` or null;
    [guess] the 422 wording for anything else, and refusing relationships not kept here.
    """
    if relationships is None:
        return False, None
    if not isinstance(relationships, dict):
        raise JsonApiError(
            422,
            "validationError",
            "Validation Error",
            "relationships must be an object.",
            "/data/relationships",
        )
    for name in relationships:
        if name not in PROSPECT_RELATIONSHIPS:
            detail = f"'{name}' is not a writable relationship of prospect."
            raise _invalid(detail, name, member="relationships")
    if "stage" not in relationships:
        return False, None
    stage = relationships["stage"]
    data = stage.get("data", ...) if isinstance(stage, dict) else ...
    if data is None:
        return True, None
    if (
        not isinstance(data, dict)
        or data.get("type") != "stage"
        or isinstance(data.get("id"), bool)
        or not isinstance(data.get("id"), int)
    ):
        raise _invalid(
            'stage must be {"data": {"type": "stage", "id": <integer>}} or {"data": null}.',
            "stage",
            member="relationships",
        )
    return True, int(data["id"])


def _check_prospect(attributes: dict[str, Any]) -> None:
    """[doc] prospect OpenAPI: text attributes are nullable strings of at most 255 characters,
    `emails` a list of email addresses; [guess] the wording, and "@" as the test of an address."""
    for key, value in attributes.items():
        if key == "emails":
            if value is not None and (
                not isinstance(value, list)
                or not all(isinstance(e, str) and "@" in e for e in value)
            ):
                raise _invalid("Emails must be a list of email addresses.", key)
            continue
        if key not in PROSPECT_TEXT:
            raise _invalid(f"'{key}' is not a writable attribute of prospect.", key)
        if value is not None and not isinstance(value, str):
            raise _invalid(f"{key} must be a string.", key)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise _invalid(
                f"{key} is too long (maximum is {MAX_TEXT} characters).",
                key,
                "validationDataTooLongError",
            )


@dataclass
class OutreachState:
    """The account's stages, the prospects in them, and the API's rules; thread-safe."""

    options: OutreachOptions = field(default_factory=OutreachOptions)
    stages: dict[int, StoredStage] = field(default_factory=dict)
    prospects: dict[int, StoredProspect] = field(default_factory=dict)
    next_id: int = 1
    next_prospect_id: int = 1
    """Prospects take ids from a sequence of their own, as each kind does in a real account."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _validate(self, attributes: dict[str, Any], creating: bool) -> None:
        """[doc] OpenAPI `stage`: name and color strings of at most 255, order an integer;
        [seen] a blank name is "Name can't be blank."; [guess] the rest of the wording."""
        for key in attributes:
            if key not in WRITABLE:
                raise _invalid(f"'{key}' is not a writable attribute of stage.", key)
        name = attributes.get("name")
        if (creating or "name" in attributes) and (not isinstance(name, str) or not name.strip()):
            raise _invalid("Name can't be blank.", "name")
        for key in ("name", "color"):
            value = attributes.get(key)
            if value is not None and not isinstance(value, str):
                raise _invalid(f"{key.capitalize()} must be a string.", key)
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise _invalid(
                    f"{key.capitalize()} is too long (maximum is {MAX_TEXT} characters).",
                    key,
                    "validationDataTooLongError",
                )
        order = attributes.get("order")
        if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
            raise _invalid("Order must be an integer.", "order")

    def create(self, attributes: dict[str, Any], user_id: int | None = None) -> StoredStage:
        """Add a stage; name is required."""
        self._validate(attributes, creating=True)
        user = self.options.default_user_id if user_id is None else user_id
        with self.lock:
            now = now_text()
            stage = StoredStage(
                id=self.next_id,
                name=attributes["name"],
                color=attributes.get("color"),
                order=attributes.get("order"),
                created_at=now,
                updated_at=now,
                creator_id=user,
                updater_id=user,
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

    def update(
        self, id_: int, attributes: dict[str, Any], user_id: int | None = None
    ) -> StoredStage:
        """Change the given attributes."""
        self._validate(attributes, creating=False)
        with self.lock:
            stage = self.stages.get(id_)
            if stage is None:
                raise not_found(id_)
            for key, value in attributes.items():
                setattr(stage, key, value)
            stage.updated_at = now_text()
            stage.updater_id = self.options.default_user_id if user_id is None else user_id
            return stage

    def delete(self, id_: int) -> None:
        """Remove a stage, or 404. Its prospects are left with no stage ([seen] Outreach's help
        pages: the delete succeeds and the prospects show "No Stage")."""
        with self.lock:
            if self.stages.pop(id_, None) is None:
                raise not_found(id_)
            for prospect in self.prospects.values():
                if prospect.stage_id == id_:
                    prospect.stage_id = None

    # Prospects.

    def _new_prospect(
        self,
        attributes: dict[str, Any],
        stage_id: int | None,
        user: int,
        id_: int | None = None,
    ) -> StoredProspect:
        """Store a prospect (the lock is held, the input checked)."""
        if id_ is None:
            id_, self.next_prospect_id = self.next_prospect_id, self.next_prospect_id + 1
        else:
            self.next_prospect_id = max(self.next_prospect_id, id_ + 1)
        now = now_text()
        prospect = StoredProspect(
            id=id_,
            first_name=attributes.get("firstName"),
            last_name=attributes.get("lastName"),
            created_at=now,
            updated_at=now,
            stage_id=stage_id,
            emails=list(attributes.get("emails") or []),
            title=attributes.get("title"),
            company=attributes.get("company"),
            creator_id=user,
            updater_id=user,
        )
        self.prospects[prospect.id] = prospect
        return prospect

    def _check_stage_exists(self, stage_id: int | None) -> None:
        """[doc] JSON:API 1.0: a write naming a related resource that does not exist is a 404."""
        if stage_id is not None and stage_id not in self.stages:
            raise not_found(stage_id)

    def create_prospect(
        self,
        attributes: dict[str, Any],
        relationships: Any = None,
        user_id: int | None = None,
    ) -> StoredProspect:
        """Add a prospect, in the stage its `relationships` name, if any ([guess] no attribute
        is required)."""
        _check_prospect(attributes)
        _, stage_id = _stage_reference(relationships)
        user = self.options.default_user_id if user_id is None else user_id
        with self.lock:
            self._check_stage_exists(stage_id)
            return self._new_prospect(attributes, stage_id, user)

    def get_prospect(self, id_: int) -> StoredProspect:
        """The prospect with this id, or 404."""
        with self.lock:
            prospect = self.prospects.get(id_)
        if prospect is None:
            raise not_found(id_, "prospect")
        return prospect

    def update_prospect(
        self,
        id_: int,
        attributes: dict[str, Any],
        relationships: Any = None,
        user_id: int | None = None,
    ) -> StoredProspect:
        """Change the given attributes, and the stage when `relationships.stage` is given (its
        `data` null takes the prospect out of every stage)."""
        _check_prospect(attributes)
        moves, stage_id = _stage_reference(relationships)
        with self.lock:
            prospect = self.prospects.get(id_)
            if prospect is None:
                raise not_found(id_, "prospect")
            if moves:
                self._check_stage_exists(stage_id)
                prospect.stage_id = stage_id
            for key, value in attributes.items():
                if key == "emails":
                    prospect.emails = list(value or [])
                else:
                    setattr(prospect, PROSPECT_TEXT[key], value)
            prospect.updated_at = now_text()
            prospect.updater_id = self.options.default_user_id if user_id is None else user_id
            return prospect

    def delete_prospect(self, id_: int) -> None:
        """Remove a prospect, or 404 ([doc] DELETE /prospects/{id} answers 204)."""
        with self.lock:
            if self.prospects.pop(id_, None) is None:
                raise not_found(id_, "prospect")

    def prospect_listing(self) -> list[StoredProspect]:
        """Every prospect, by id."""
        with self.lock:
            return sorted(self.prospects.values(), key=lambda p: p.id)

    def prospects_in(self, stage_id: int) -> int:
        """How many prospects are in a stage now."""
        with self.lock:
            return sum(1 for p in self.prospects.values() if p.stage_id == stage_id)

    def put_prospects(self, stage_id: int, count: int) -> list[int]:
        """Add `count` new prospects to a stage (404 if it does not exist); their ids."""
        if count < 0:
            raise bad_request("count must be 0 or more.")
        with self.lock:
            self._check_stage_exists(stage_id)
            made = []
            for _ in range(count):
                number = self.next_prospect_id
                attributes = {
                    "firstName": "Prospect",
                    "lastName": str(number),
                    "emails": [f"prospect{number}@example.com"],
                }
                user = self.options.default_user_id
                made.append(self._new_prospect(attributes, stage_id, user).id)
            return made

    def place_prospects(self, stage_id: int, prospect_ids: list[int]) -> None:
        """Put these prospects in a stage (each is in at most one); an id no prospect has yet
        becomes a new prospect with that id."""
        with self.lock:
            self._check_stage_exists(stage_id)
            for id_ in prospect_ids:
                prospect = self.prospects.get(id_)
                if prospect is None:
                    self._new_prospect({}, stage_id, self.options.default_user_id, id_)
                else:
                    prospect.stage_id = stage_id
                    prospect.updated_at = now_text()

    def prospect_ids_matching(self, relations: dict[tuple[str, str], set[Any]]) -> set[int] | None:
        """The prospects a listing's `filter[stage][id]` / `filter[stage][name]` keep, or None
        when it has no stage filter. A prospect in no stage matches neither."""
        ids = relations.get(("stage", "id"))
        names = relations.get(("stage", "name"))
        if ids is None and names is None:
            return None
        with self.lock:
            wanted = set(self.stages)
            if ids is not None:
                wanted &= ids
            if names is not None:
                wanted &= {s.id for s in self.stages.values() if s.name in names}
            return {p.id for p in self.prospects.values() if p.stage_id in wanted}

    def listing(self) -> list[StoredStage]:
        """Every stage, by id."""
        with self.lock:
            return sorted(self.stages.values(), key=lambda s: s.id)

    def stages_with_prospects(self, prospect_ids: set[int]) -> set[int]:
        """Ids of the stages any of these prospects are in."""
        with self.lock:
            return {
                p.stage_id
                for p in self.prospects.values()
                if p.id in prospect_ids and p.stage_id is not None
            }

    def live_stages(self) -> list[tuple[str, str]]:
        """(name, id) of every stage, by id (Outreach stages cannot be archived)."""
        return [(stage.name, str(stage.id)) for stage in self.listing()]

    def reset(self) -> None:
        """An empty account."""
        with self.lock:
            self.stages.clear()
            self.prospects.clear()
            self.next_id = 1
            self.next_prospect_id = 1

    def export_state(self) -> dict[str, Any]:
        """The account as plain JSON, to persist between runs."""
        with self.lock:
            return {
                "next_id": self.next_id,
                "next_prospect_id": self.next_prospect_id,
                "stages": [asdict(s) for s in self.stages.values()],
                "prospects": [asdict(p) for p in self.prospects.values()],
            }

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the account with one exported earlier (also the older form that kept only
        `{prospect id: stage id}`)."""
        with self.lock:
            self.stages = {s["id"]: StoredStage(**s) for s in data.get("stages", [])}
            self.next_id = int(data.get("next_id", 1))
            self.prospects = {}
            self.next_prospect_id = int(data.get("next_prospect_id", 1))
            kept = data.get("prospects", [])
            if isinstance(kept, dict):
                for prospect_id, stage_id in kept.items():
                    user = self.options.default_user_id
                    self._new_prospect({}, int(stage_id), user, int(prospect_id))
            else:
                for record in kept:
                    prospect = StoredProspect(**record)
                    self.prospects[prospect.id] = prospect
                    self.next_prospect_id = max(self.next_prospect_id, prospect.id + 1)
