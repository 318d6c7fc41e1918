"""An Outreach account as the emulator keeps it: stages, their rules, and errors as data. No HTTP.

Behaviour follows the vendor's reference where it is documented ([doc]: developers.outreach.io,
its OpenAPI for `stage`); each guess is marked [guess], and those a client could come to depend
on are switches in `OutreachOptions`. Names are not required to be unique ([guess], as
api-notes.md advises: do not depend on it).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .oauth import DEFAULT_USER_ID

WRITABLE = ("name", "color", "order")
MAX_TEXT = 255  # [doc] OpenAPI: name and color have maxLength 255


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
    retry_after_format: str = "%Y-%m-%dT%H:%M:%S"
    """How Retry-After times are written (UTC). [doc] a timestamp, not seconds: on 503 the end of
    maintenance, on 429 the reset time (developers.outreach.io/api/getting-started#maintenance and
    #rate-limiting, as catalogued in api-evangelist/outreach errors/outreach-error-codes.yml);
    [guess] the zone-less ISO 8601 form of the docs' own example, "please try again at
    2017-01-01T00:00:00"."""


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


def not_found(id_: object) -> JsonApiError:
    """404 `resourceNotFound`, worded as the docs' example ("Could not find 'prospect' with ID
    '1'.", developers.outreach.io/api/making-requests)."""
    return JsonApiError(
        404, "resourceNotFound", "Resource Not Found", f"Could not find 'stage' with ID '{id_}'."
    )


def bad_request(detail: str) -> JsonApiError:
    """400 for a query the API cannot answer. [doc] 400 is the answer to unacceptable query
    parameters (developers.outreach.io/api/making-requests, actions); [guess] the id and title."""
    return JsonApiError(400, "badRequest", "Bad Request", detail)


def _invalid(detail: str, attribute: str, id_: str = "validationError") -> JsonApiError:
    title = (
        "Validation Data Too Long Error"
        if id_ == "validationDataTooLongError"
        else ("Validation Error")
    )
    return JsonApiError(422, id_, title, detail, f"/data/attributes/{attribute}")


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
class OutreachState:
    """The account's stages, which prospects sit on them, and the API's rules; thread-safe."""

    options: OutreachOptions = field(default_factory=OutreachOptions)
    stages: dict[int, StoredStage] = field(default_factory=dict)
    prospects: dict[int, int] = field(default_factory=dict)
    """Prospect id -> the id of the stage it is on (for `filter[prospects][id]`)."""
    next_id: int = 1
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
            self.prospects = {p: s for p, s in self.prospects.items() if s != id_}

    def place_prospects(self, stage_id: int, prospect_ids: list[int]) -> None:
        """Put these prospects on a stage (each prospect is on at most one)."""
        with self.lock:
            if stage_id not in self.stages:
                raise not_found(stage_id)
            for prospect in prospect_ids:
                self.prospects[prospect] = stage_id

    def listing(self) -> list[StoredStage]:
        """Every stage, by id."""
        with self.lock:
            return sorted(self.stages.values(), key=lambda s: s.id)

    def stages_with_prospects(self, prospect_ids: set[int]) -> set[int]:
        """Ids of the stages any of these prospects are on."""
        with self.lock:
            return {s for p, s in self.prospects.items() if p in prospect_ids}

    def live_stages(self) -> list[tuple[str, str]]:
        """(name, id) of every stage, by id (Outreach stages cannot be archived)."""
        return [(stage.name, str(stage.id)) for stage in self.listing()]

    def reset(self) -> None:
        """An empty account."""
        with self.lock:
            self.stages.clear()
            self.prospects.clear()
            self.next_id = 1

    def export_state(self) -> dict[str, Any]:
        """The account as plain JSON, to persist between runs."""
        with self.lock:
            return {
                "next_id": self.next_id,
                "stages": [asdict(s) for s in self.stages.values()],
                "prospects": {str(p): s for p, s in self.prospects.items()},
            }

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace the account with one exported earlier."""
        with self.lock:
            self.stages = {s["id"]: StoredStage(**s) for s in data.get("stages", [])}
            self.prospects = {int(p): int(s) for p, s in data.get("prospects", {}).items()}
            self.next_id = int(data.get("next_id", 1))
