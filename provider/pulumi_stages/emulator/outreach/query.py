"""What `GET /stages` accepts and answers: documented filters, sort, and keyset cursor paging.

No HTTP: a query arrives as (key, value) pairs and leaves as a page of stages plus the keys its
cursors carry. Sources: developers.outreach.io/api/making-requests (filter, sort, pagination) and
the `stage` OpenAPI (which attributes carry the "filterable" and "sortable" badges).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any

from .state import OutreachOptions, StoredStage, bad_request

ATTRIBUTES = {
    "id": "id",
    "name": "name",
    "order": "order",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
"""[doc] the stage OpenAPI marks name, order, createdAt and updatedAt filterable and sortable
(color is neither); filter[id] is the docs' own example; [guess] sort=id."""
NUMERIC = frozenset({"id", "order"})
RANGE_OPERATORS = {
    "gte": (True, None),
    "gt": (False, None),
    "lte": (None, True),
    "lt": (None, False),
}
OPEN_LOW = ("neginf", "-inf")  # [doc] neginf..x; [guess] -inf as well
OPEN_HIGH = "inf"
NULL, NOT_NULL = "__null__", "__notnull__"  # [doc] making-requests: filter[x]=__null__
FLAGS = ("count", "newFilterSyntax", "provideAuthorizationMeta")
PAGING = ("page[size]", "page[after]", "page[before]")
FILTER_KEY = re.compile(r"^filter\[([^\[\]]+)\]((?:\[[^\[\]]*\])*)$")
FIELDS_KEY = re.compile(r"^fields\[[^\[\]]+\]$")
SINGLE_PARAMETERS = ("provideAuthorizationMeta",)
"""Query parameters a single-stage call (GET, POST, PATCH, DELETE by id) accepts besides
`fields[...]`; anything else is refused like an unknown listing parameter [guess]."""

Predicate = Callable[[StoredStage], bool]


@dataclass
class ListingQuery:
    """A parsed `GET /stages` query."""

    predicates: list[Predicate] = field(default_factory=list)
    prospect_ids: set[int] | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (attribute, descending)
    sort_text: str = ""
    size: int = 50
    after: list[Any] | None = None
    before: list[Any] | None = None
    count: bool = False
    fields: set[str] | None = None
    authorization_meta: bool = False


@dataclass
class Page:
    """One page of a listing and the keys its next and prev cursors carry."""

    stages: list[StoredStage]
    total: int
    next_key: list[Any] | None
    prev_key: list[Any] | None


def flag(name: str, value: str) -> bool:
    """A true/false query flag [guess: anything else is a 400]."""
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise bad_request(f"{name} must be true or false.")
    return lowered == "true"


def _stage_value(stage: StoredStage, attribute: str) -> Any:
    return getattr(stage, ATTRIBUTES[attribute])


def _typed(attribute: str, text: str) -> int | str:
    if attribute not in NUMERIC:
        return text
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"Invalid value {text!r} for filter[{attribute}].") from None


def _any_of(attribute: str, values: Iterable[str]) -> Predicate:
    wanted = {_typed(attribute, v) for v in values}
    return lambda s: _stage_value(s, attribute) is not None and _stage_value(s, attribute) in wanted


def _within(attribute: str, low: Any, low_closed: bool, high: Any, high_closed: bool) -> Predicate:
    """A range; a stage with no value (an `order` of null) never falls in one."""

    def test(stage: StoredStage) -> bool:
        value = _stage_value(stage, attribute)
        if value is None:
            return False
        if low is not None and (value < low or (value == low and not low_closed)):
            return False
        return high is None or not (value > high or (value == high and not high_closed))

    return test


def _null_test(attribute: str, wanted: str) -> Predicate | None:
    if wanted == NULL:
        return lambda s: _stage_value(s, attribute) is None
    if wanted == NOT_NULL:
        return lambda s: _stage_value(s, attribute) is not None
    return None


def _classic(attribute: str, wanted: str) -> Predicate:
    """`filter[attr]=a,b` (any of), `a..b` (a range, open ends inf and neginf), or one value."""
    null = _null_test(attribute, wanted)
    if null is not None:
        return null
    if ".." in wanted:
        low, high = wanted.split("..", 1)
        lower = None if low in OPEN_LOW else _typed(attribute, low)
        upper = None if high == OPEN_HIGH else _typed(attribute, high)
        return _within(attribute, lower, True, upper, True)
    return _any_of(attribute, wanted.split(","))


def _ids(values: Iterable[str], name: str) -> set[int]:
    try:
        return {int(part) for value in values for part in value.split(",")}
    except ValueError:
        raise bad_request(f"Invalid value for {name}.") from None


class Cursors:
    """Opaque `page[after]`/`page[before]` cursors: the sort keys of a page's edge item, signed,
    so a page boundary survives writes between pages (no item skipped or repeated) and a forged
    or altered cursor is refused. [doc] cursors are opaque and links carry them; [guess] keyset."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]

    def make(self, sort_text: str, key: list[Any]) -> str:
        """A cursor for the position after (or before) the item with these sort keys."""
        payload = json.dumps({"s": sort_text, "k": key}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def read(self, token: str, sort_text: str, parameter: str, width: int) -> list[Any]:
        """The sort keys a cursor carries; 400 when it is not one this API issued for this sort
        [guess: the status and wording for a bad cursor]."""
        invalid = bad_request(f"Invalid {parameter} cursor; use the links the API returned.")
        try:
            body, mac = token.split(".")
            payload, signature = _unb64(body), _unb64(mac)
        except (ValueError, binascii.Error):
            raise invalid from None
        if not hmac.compare_digest(signature, self._mac(payload)):
            raise invalid
        data = json.loads(payload)
        if data.get("s") != sort_text:
            raise bad_request(f"The {parameter} cursor belongs to another sort order.")
        key = data.get("k")
        if not isinstance(key, list) or len(key) != width:
            raise invalid
        return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_single_parameters(keys: Iterable[str]) -> None:
    """Refuse query parameters a single-stage call does not take."""
    for key in keys:
        if not (key in SINGLE_PARAMETERS or FIELDS_KEY.match(key)):
            raise bad_request(f"Unknown query parameter '{key}'.")


class _Parser:
    def __init__(self, options: OutreachOptions, cursors: Cursors) -> None:
        self.options, self.cursors = options, cursors
        self.query = ListingQuery(size=options.default_page_size)

    def parse(self, items: list[tuple[str, str]]) -> ListingQuery:
        single = {key: value for key, value in items}
        new_syntax = flag("newFilterSyntax", single.get("newFilterSyntax", "false"))
        filters: dict[str, list[tuple[list[str], str]]] = {}
        for key, value in items:
            match = FILTER_KEY.match(key)
            if match:
                parts = re.findall(r"\[([^\[\]]*)\]", match.group(2))
                filters.setdefault(match.group(1), []).append((parts, value))
            elif not (key in FLAGS or key in PAGING or key == "sort" or FIELDS_KEY.match(key)):
                raise bad_request(f"Unknown query parameter '{key}'.")
        for attribute, uses in filters.items():
            self._filter(attribute, uses, new_syntax)
        query = self.query
        query.count = flag("count", single.get("count", "false"))
        query.authorization_meta = flag(
            "provideAuthorizationMeta", single.get("provideAuthorizationMeta", "false")
        )
        fields = single.get("fields[stage]")
        query.fields = set(fields.split(",")) - {""} if fields is not None else None
        self._sort(single.get("sort", ""))
        self._paging(single)
        return query

    def _filter(self, attribute: str, uses: list[tuple[list[str], str]], new_syntax: bool) -> None:
        if attribute == "prospects":  # [doc] the only relationship filter: filter[prospects][id]
            if any(parts not in (["id"], ["id", ""]) for parts, _ in uses):
                raise bad_request("Stages can be filtered by prospects' id only.")
            ids = _ids((value for _, value in uses), "filter[prospects][id]")
            known = self.query.prospect_ids
            self.query.prospect_ids = ids if known is None else known & ids
            return
        if attribute not in ATTRIBUTES:
            raise bad_request(
                f"Unknown filter '{attribute}'; stages filter on "
                + ", ".join(sorted(ATTRIBUTES))
                + " and prospects."
            )
        listed = [value for parts, value in uses if parts == [""]]
        for parts, value in uses:
            if not parts and new_syntax:  # a literal: commas and ".." are part of the value
                literal = _null_test(attribute, value) or _any_of(attribute, [value])
                self.query.predicates.append(literal)
            elif not parts:
                self.query.predicates.append(_classic(attribute, value))
            elif new_syntax and len(parts) == 1 and parts[0] in RANGE_OPERATORS:
                low_closed, high_closed = RANGE_OPERATORS[parts[0]]
                bound = _typed(attribute, value)
                if low_closed is not None:
                    self.query.predicates.append(_within(attribute, bound, low_closed, None, True))
                else:
                    high = bool(high_closed)
                    self.query.predicates.append(_within(attribute, None, True, bound, high))
            elif not (new_syntax and parts == [""]):
                raise bad_request(f"Unknown filter form filter[{attribute}][{']['.join(parts)}].")
        if listed:
            self.query.predicates.append(_any_of(attribute, listed))

    def _sort(self, text: str) -> None:
        for key in (k for k in text.split(",") if k):
            attribute = key.removeprefix("-")
            if attribute not in ATTRIBUTES:
                raise bad_request(f"Cannot sort by '{attribute}'.")
            self.query.sort.append((attribute, key.startswith("-")))
        self.query.sort_text = ",".join(("-" if d else "") + a for a, d in self.query.sort)

    def _paging(self, single: dict[str, str]) -> None:
        options, query = self.options, self.query
        if "page[size]" in single:
            try:
                size = int(single["page[size]"])
            except ValueError:
                raise bad_request("page[size] must be a whole number.") from None
            if not 1 <= size <= options.max_page_size:
                if not options.cap_oversized_pages:
                    raise bad_request(f"page[size] must be between 1 and {options.max_page_size}.")
                size = max(1, min(size, options.max_page_size))
            query.size = size
        if "page[after]" in single and "page[before]" in single:
            raise bad_request("Give page[after] or page[before], not both.")
        width = len(query.sort) + 1
        for parameter in ("page[after]", "page[before]"):
            if single.get(parameter):
                key = self.cursors.read(single[parameter], query.sort_text, parameter, width)
                if parameter == "page[after]":
                    query.after = key
                else:
                    query.before = key


def parse_listing(
    items: list[tuple[str, str]], options: OutreachOptions, cursors: Cursors
) -> ListingQuery:
    """Parse a `GET /stages` query; 400 for an unknown parameter, filter or sort, a bad page size
    or a cursor this API did not issue."""
    return _Parser(options, cursors).parse(items)


def _compare_values(x: Any, y: Any) -> int:
    if x is None or y is None:  # [guess] nulls sort after values (so first when descending)
        return int(x is None) - int(y is None)
    return int(x > y) - int(x < y)


def sort_key(stage: StoredStage, query: ListingQuery) -> list[Any]:
    """The values a stage sorts by, its id last to break ties."""
    return [_stage_value(stage, attribute) for attribute, _ in query.sort] + [stage.id]


def compare(a: list[Any], b: list[Any], query: ListingQuery) -> int:
    """-1, 0 or 1 as sort keys `a` come before, with or after `b` in the query's order."""
    directions = [descending for _, descending in query.sort] + [False]
    for x, y, descending in zip(a, b, directions, strict=True):
        result = _compare_values(x, y)
        if result:
            return -result if descending else result
    return 0


def select(
    stages: list[StoredStage], query: ListingQuery, prospect_stage_ids: set[int] | None
) -> Page:
    """The page of `stages` a query asks for (`prospect_stage_ids`: the stages the filtered
    prospects are on, when the query filters by prospects)."""
    matching = [
        s
        for s in stages
        if all(test(s) for test in query.predicates)
        and (prospect_stage_ids is None or s.id in prospect_stage_ids)
    ]

    def by_key(a: StoredStage, b: StoredStage) -> int:
        return compare(sort_key(a, query), sort_key(b, query), query)

    ordered = sorted(matching, key=cmp_to_key(by_key))
    keys = [sort_key(s, query) for s in ordered]
    if query.after is not None:
        after = query.after
        start = next((i for i, k in enumerate(keys) if compare(k, after, query) > 0), len(keys))
        end = min(len(keys), start + query.size)
    elif query.before is not None:
        before = query.before
        end = next((i for i, k in enumerate(keys) if compare(k, before, query) >= 0), len(keys))
        start = max(0, end - query.size)
    else:
        start, end = 0, min(len(keys), query.size)
    page = ordered[start:end]
    next_key = keys[end - 1] if end < len(keys) and end > start else None
    prev_key = keys[start] if start > 0 and end > start else None
    return Page(page, len(matching), next_key, prev_key)
