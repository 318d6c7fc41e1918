"""What `GET /stages` and `GET /prospects` accept and answer: documented filters, sort, and keyset
cursor paging.

No HTTP: a query arrives as (key, value) pairs and leaves as a page of resources plus the keys its
cursors carry. One `Schema` per resource type says which attributes and relationships it filters
and sorts on. Sources: developers.outreach.io/api/making-requests (filter, sort, pagination) and
the `stage` and `prospect` OpenAPI (which attributes carry the "filterable" and "sortable"
badges; the prospect's is mirrored in api-evangelist/outreach
openapi/outreach-prospect-api-openapi.yml).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any, Generic, Protocol, TypeVar

from .state import OutreachOptions, bad_request

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
PROSPECT_ATTRIBUTES = {
    "id": "id",
    "firstName": "first_name",
    "lastName": "last_name",
    "title": "title",
    "emails": "emails",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
"""[doc] the prospect OpenAPI marks firstName, lastName, title, createdAt and updatedAt filterable
and sortable, emails filterable only (of the attributes the emulator keeps); [guess] id."""
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
"""Query parameters a single-resource call (GET, POST, PATCH, DELETE by id) accepts besides
`fields[...]`; anything else is refused like an unknown listing parameter [guess]."""


class Identified(Protocol):
    """What a listing holds: anything with an integer id (a stored stage or prospect)."""

    @property
    def id(self) -> int: ...


Item = TypeVar("Item", bound=Identified)


@dataclass(frozen=True)
class Schema:
    """What one resource type's listing filters and sorts on."""

    type: str
    """The JSON:API type (`stage`), as `fields[stage]` and cursors name it."""
    attributes: Mapping[str, str]
    """Filterable attributes: API name -> the stored object's field."""
    sortable: frozenset[str]
    numeric: frozenset[str]
    relationships: Mapping[str, frozenset[str]]
    """Relationship filters (`filter[stage][id]`): relationship -> the attributes it takes."""

    def value(self, item: Any, attribute: str) -> Any:
        """An item's value of an API attribute."""
        return getattr(item, self.attributes[attribute])


STAGE = Schema(
    "stage",
    ATTRIBUTES,
    frozenset(ATTRIBUTES),
    NUMERIC,
    {"prospects": frozenset({"id"})},  # [doc] the only relationship filter of stage
)
PROSPECT = Schema(
    "prospect",
    PROSPECT_ATTRIBUTES,
    frozenset(PROSPECT_ATTRIBUTES) - {"emails"},
    frozenset({"id"}),
    # [doc] prospect OpenAPI, relationship stage: "You can use attributes id and name to filter
    # prospects by stage (e.g. filter[stage][id]=X)."
    {"stage": frozenset({"id", "name"})},
)

Predicate = Callable[[Any], bool]


@dataclass
class ListingQuery:
    """A parsed listing query (`GET /stages`, `GET /prospects`)."""

    schema: Schema = STAGE
    predicates: list[Predicate] = field(default_factory=list)
    relations: dict[tuple[str, str], set[Any]] = field(default_factory=dict)
    """Relationship filters: (relationship, attribute) -> the values any of which matches; ids
    as integers."""
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (attribute, descending)
    sort_text: str = ""
    size: int = 50
    after: list[Any] | None = None
    before: list[Any] | None = None
    count: bool = False
    fields: set[str] | None = None
    authorization_meta: bool = False

    @property
    def prospect_ids(self) -> set[int] | None:
        """The prospects a stage listing is filtered by (`filter[prospects][id]`), if any."""
        return self.relations.get(("prospects", "id"))


@dataclass
class Page(Generic[Item]):
    """One page of a listing and the keys its next and prev cursors carry."""

    items: list[Item]
    total: int
    next_key: list[Any] | None
    prev_key: list[Any] | None

    @property
    def stages(self) -> list[Item]:
        """The page's items (the older name, from when only stages were listed)."""
        return self.items


def flag(name: str, value: str) -> bool:
    """A true/false query flag [guess: anything else is a 400]."""
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise bad_request(f"{name} must be true or false.")
    return lowered == "true"


def _typed(schema: Schema, attribute: str, text: str) -> int | str:
    if attribute not in schema.numeric:
        return text
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"Invalid value {text!r} for filter[{attribute}].") from None


def _any_of(schema: Schema, attribute: str, values: Iterable[str]) -> Predicate:
    """Any of these values; a list attribute (emails) matches when it holds one of them [guess:
    an exact match, as for other attributes]."""
    wanted = {_typed(schema, attribute, v) for v in values}

    def test(item: Any) -> bool:
        value = schema.value(item, attribute)
        if isinstance(value, list):
            return any(v in wanted for v in value)
        return value is not None and value in wanted

    return test


def _within(
    schema: Schema, attribute: str, lower: tuple[Any, bool], upper: tuple[Any, bool]
) -> Predicate:
    """A range between (bound, closed) pairs, None for an open end; an item with no value (an
    `order` of null) never falls in one, nor does a list."""
    (low, low_closed), (high, high_closed) = lower, upper

    def test(item: Any) -> bool:
        value = schema.value(item, attribute)
        if value is None or isinstance(value, list):
            return False
        if low is not None and (value < low or (value == low and not low_closed)):
            return False
        return high is None or not (value > high or (value == high and not high_closed))

    return test


def _null_test(schema: Schema, attribute: str, wanted: str) -> Predicate | None:
    if wanted == NULL:
        return lambda item: schema.value(item, attribute) in (None, [])
    if wanted == NOT_NULL:
        return lambda item: schema.value(item, attribute) not in (None, [])
    return None


def _classic(schema: Schema, attribute: str, wanted: str) -> Predicate:
    """`filter[attr]=a,b` (any of), `a..b` (a range, open ends inf and neginf), or one value."""
    null = _null_test(schema, attribute, wanted)
    if null is not None:
        return null
    if ".." in wanted:
        low, high = wanted.split("..", 1)
        lower = None if low in OPEN_LOW else _typed(schema, attribute, low)
        upper = None if high == OPEN_HIGH else _typed(schema, attribute, high)
        return _within(schema, attribute, (lower, True), (upper, True))
    return _any_of(schema, attribute, wanted.split(","))


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

    def make(self, sort_text: str, key: list[Any], kind: str = "stage") -> str:
        """A cursor for the position after (or before) the item with these sort keys, in a
        listing of `kind` (a cursor of one resource type is refused by another's listing)."""
        payload = json.dumps({"t": kind, "s": sort_text, "k": key}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def read(
        self, token: str, sort_text: str, parameter: str, width: int, kind: str = "stage"
    ) -> list[Any]:
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
        if data.get("t", "stage") != kind:
            raise invalid
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
    """Refuse query parameters a single-resource call does not take."""
    for key in keys:
        if not (key in SINGLE_PARAMETERS or FIELDS_KEY.match(key)):
            raise bad_request(f"Unknown query parameter '{key}'.")


class _Parser:
    def __init__(self, options: OutreachOptions, cursors: Cursors, schema: Schema) -> None:
        self.options, self.cursors, self.schema = options, cursors, schema
        self.query = ListingQuery(schema=schema, size=options.default_page_size)

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
        fields = single.get(f"fields[{self.schema.type}]")
        query.fields = set(fields.split(",")) - {""} if fields is not None else None
        self._sort(single.get("sort", ""))
        self._paging(single)
        return query

    def _relation(
        self, relationship: str, uses: list[tuple[list[str], str]], new_syntax: bool
    ) -> None:
        """`filter[stage][id]=3,4`, `filter[stage][id][]=3&filter[stage][id][]=4` or
        `filter[stage][name]=Lead`: the documented relationship filters, by the attributes the
        relationship documents; the values given for one attribute are alternatives."""
        allowed = self.schema.relationships[relationship]
        for parts, value in uses:
            attribute = parts[0] if parts and parts[1:] in ([], [""]) else None
            if attribute is None or attribute not in allowed:
                plural = f"{self.schema.type[0].upper()}{self.schema.type[1:]}s"
                raise bad_request(
                    f"{plural} can be filtered by {relationship} "
                    + " and ".join(sorted(allowed))
                    + " only."
                )
            values: set[Any]
            if attribute == "id":
                values = set(_ids([value], f"filter[{relationship}][id]"))
            elif new_syntax:
                values = {value}
            else:
                values = set(value.split(","))
            self.query.relations.setdefault((relationship, attribute), set()).update(values)

    def _filter(self, attribute: str, uses: list[tuple[list[str], str]], new_syntax: bool) -> None:
        schema = self.schema
        if attribute in schema.relationships:
            self._relation(attribute, uses, new_syntax)
            return
        if attribute not in schema.attributes:
            raise bad_request(
                f"Unknown filter '{attribute}'; {schema.type}s filter on "
                + ", ".join(sorted(schema.attributes))
                + " and "
                + ", ".join(sorted(schema.relationships))
                + "."
            )
        listed = [value for parts, value in uses if parts == [""]]
        for parts, value in uses:
            if not parts and new_syntax:  # a literal: commas and ".." are part of the value
                literal = _null_test(schema, attribute, value) or _any_of(
                    schema, attribute, [value]
                )
                self.query.predicates.append(literal)
            elif not parts:
                self.query.predicates.append(_classic(schema, attribute, value))
            elif new_syntax and len(parts) == 1 and parts[0] in RANGE_OPERATORS:
                low_closed, high_closed = RANGE_OPERATORS[parts[0]]
                bound = _typed(schema, attribute, value)
                if low_closed is not None:
                    self.query.predicates.append(
                        _within(schema, attribute, (bound, low_closed), (None, True))
                    )
                else:
                    high = bool(high_closed)
                    self.query.predicates.append(
                        _within(schema, attribute, (None, True), (bound, high))
                    )
            elif not (new_syntax and parts == [""]):
                raise bad_request(f"Unknown filter form filter[{attribute}][{']['.join(parts)}].")
        if listed:
            self.query.predicates.append(_any_of(schema, attribute, listed))

    def _sort(self, text: str) -> None:
        for key in (k for k in text.split(",") if k):
            attribute = key.removeprefix("-")
            if attribute not in self.schema.sortable:
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
                key = self.cursors.read(
                    single[parameter], query.sort_text, parameter, width, self.schema.type
                )
                if parameter == "page[after]":
                    query.after = key
                else:
                    query.before = key


def parse_listing(
    items: list[tuple[str, str]],
    options: OutreachOptions,
    cursors: Cursors,
    schema: Schema = STAGE,
) -> ListingQuery:
    """Parse a listing query of `schema`'s resource (stages by default); 400 for an unknown
    parameter, filter or sort, a bad page size or a cursor this API did not issue for it."""
    return _Parser(options, cursors, schema).parse(items)


def _compare_values(x: Any, y: Any) -> int:
    if x is None or y is None:  # [guess] nulls sort after values (so first when descending)
        return int(x is None) - int(y is None)
    return int(x > y) - int(x < y)


def sort_key(item: Identified, query: ListingQuery) -> list[Any]:
    """The values an item sorts by, its id last to break ties."""
    return [query.schema.value(item, attribute) for attribute, _ in query.sort] + [item.id]


def compare(a: list[Any], b: list[Any], query: ListingQuery) -> int:
    """-1, 0 or 1 as sort keys `a` come before, with or after `b` in the query's order."""
    directions = [descending for _, descending in query.sort] + [False]
    for x, y, descending in zip(a, b, directions, strict=True):
        result = _compare_values(x, y)
        if result:
            return -result if descending else result
    return 0


def select(items: Sequence[Item], query: ListingQuery, only_ids: set[int] | None) -> Page[Item]:
    """The page of `items` a query asks for. `only_ids`, when given, keeps the items with those
    ids: what the query's relationship filters matched (for stages, the stages the filtered
    prospects are on; for prospects, those on the filtered stages)."""
    matching = [
        item
        for item in items
        if all(test(item) for test in query.predicates)
        and (only_ids is None or item.id in only_ids)
    ]

    def by_key(a: Item, b: Item) -> int:
        return compare(sort_key(a, query), sort_key(b, query), query)

    ordered = sorted(matching, key=cmp_to_key(by_key))
    keys = [sort_key(item, query) for item in ordered]
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
