"""HubSpot's CRM search as a pure function over records: filter groups and their operators,
`query`, `sorts`, the page size and 10,000-result caps, and opaque cursors. No HTTP, no lock.

Sources: [doc] the CRM search guide (filterGroups ORed, filters ANDed; at most 5 groups, 6
filters per group, 18 filters in all; one sort; `limit` up to 200; "the search endpoints are
limited to 10,000 total results for any given query; attempting to page beyond 10,000 will
result in a 400 error"; default properties per object); [doc] hubspot-api-python's
`crm/objects/models/filter.py` for the 13 operators.
"""

from __future__ import annotations

import base64
import fnmatch
from collections.abc import Callable, Sequence
from typing import Any, Protocol

PAGE_LIMIT = 200  # [doc] at most 200 results a page
TOTAL_LIMIT = 10_000  # [doc] at most 10,000 results for one query
MAX_GROUPS, MAX_GROUP_FILTERS, MAX_FILTERS = 5, 6, 18  # [doc] search guide limits
OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)
"""[doc] Filter.operator's allowed values in hubspot-api-python."""

DEFAULT_PROPERTIES = {
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "tickets": (
        "content",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hs_ticket_priority",
        "subject",
    ),
}
"""[doc] search guide: the properties a search returns when it names none."""

QUERY_PROPERTIES = {"deals": ("dealname",), "tickets": ("subject", "content")}
"""[doc] `query` searches an object's default searchable text properties; guess: these, matched
case-insensitively as a substring (what a real portal matches would settle it)."""


class SearchRefused(Exception):
    """A search body HubSpot answers with 400 VALIDATION_ERROR; the message says why."""


class Searchable(Protocol):
    """A record as search sees it."""

    id: str

    @property
    def properties(self) -> dict[str, str]: ...


def encode_cursor(offset: int) -> str:
    """guess: HubSpot's `after` is opaque to clients (some portals answer digits); encoded here
    so no client can rely on it being an offset."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(raw: Any) -> int:
    """The offset an `after` stands for; 0 when none. Anything else is refused."""
    if raw in (None, ""):
        return 0
    try:
        text = base64.urlsafe_b64decode(str(raw) + "=" * (-len(str(raw)) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    kind, _, number = text.partition(":")
    if kind != "offset" or not number.isdigit():
        raise SearchRefused(f"after must be a paging cursor from a previous answer, got {raw!r}")
    return int(number)


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _compare(value: str | None, wanted: Any) -> int | None:
    """-1, 0 or 1 comparing a property with a filter value: as numbers when both are (dates are
    epoch milliseconds in filters [doc]), else as text (guess); None when the property is unset
    (guess: an empty value is unset, as HubSpot clears a property by setting it to "")."""
    if value in (None, ""):
        return None
    left, right = _number(value), _number(str(wanted))
    if left is not None and right is not None:
        return (left > right) - (left < right)
    return (value > str(wanted)) - (value < str(wanted))


def _token(value: str | None, pattern: Any) -> bool:
    """guess: CONTAINS_TOKEN matches a whole word, case-insensitively, `*` as a wildcard."""
    words = (value or "").lower().split()
    return any(fnmatch.fnmatchcase(w, str(pattern).lower()) for w in words)


Test = Callable[[str | None, dict[str, Any]], bool]
TESTS: dict[str, Test] = {
    "EQ": lambda v, f: _compare(v, f.get("value")) == 0,
    "NEQ": lambda v, f: _compare(v, f.get("value")) != 0,
    "LT": lambda v, f: _compare(v, f.get("value")) == -1,
    "LTE": lambda v, f: _compare(v, f.get("value")) in (-1, 0),
    "GT": lambda v, f: _compare(v, f.get("value")) == 1,
    "GTE": lambda v, f: _compare(v, f.get("value")) in (0, 1),
    "BETWEEN": lambda v, f: (
        _compare(v, f.get("value")) in (0, 1) and _compare(v, f.get("highValue")) in (-1, 0)
    ),
    "IN": lambda v, f: v is not None and v in [str(x) for x in f.get("values") or []],
    "NOT_IN": lambda v, f: v not in [str(x) for x in f.get("values") or []],
    "HAS_PROPERTY": lambda v, f: v not in (None, ""),
    "NOT_HAS_PROPERTY": lambda v, f: v in (None, ""),
    "CONTAINS_TOKEN": lambda v, f: _token(v, f.get("value")),
    "NOT_CONTAINS_TOKEN": lambda v, f: not _token(v, f.get("value")),
}


def _filters(groups: Any) -> list[list[dict[str, Any]]]:
    if groups is None:
        return []
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise SearchRefused("filterGroups must be a list of filter groups")
    found = [g.get("filters") for g in groups]
    if not all(isinstance(f, list) and all(isinstance(x, dict) for x in f) for f in found):
        raise SearchRefused("each filter group needs a list of filters")
    checked: list[list[dict[str, Any]]] = found
    if len(checked) > MAX_GROUPS or any(len(f) > MAX_GROUP_FILTERS for f in checked):
        raise SearchRefused(
            f"at most {MAX_GROUPS} filter groups of at most {MAX_GROUP_FILTERS} filters each"
        )
    if sum(len(f) for f in checked) > MAX_FILTERS:
        raise SearchRefused(f"at most {MAX_FILTERS} filters in all")
    for spec in (x for f in checked for x in f):
        if not isinstance(spec.get("propertyName"), str):
            raise SearchRefused("each filter needs a propertyName")
        if spec.get("operator") not in OPERATORS:
            raise SearchRefused(f"operator {spec.get('operator')!r} is not a search operator")
    return checked


def _sort_key(sorts: Any) -> tuple[str, bool] | None:
    """[doc] one sort: `{"propertyName", "direction": "ASCENDING"|"DESCENDING"}`."""
    if not sorts:
        return None
    if not isinstance(sorts, list) or len(sorts) != 1 or not isinstance(sorts[0], dict):
        raise SearchRefused("sorts takes exactly one sort")
    name, direction = sorts[0].get("propertyName"), sorts[0].get("direction", "ASCENDING")
    if not isinstance(name, str) or direction not in ("ASCENDING", "DESCENDING"):
        raise SearchRefused("a sort needs a propertyName and direction ASCENDING or DESCENDING")
    return name, direction == "DESCENDING"


def search(
    object_type: str, records: Sequence[Searchable], body: dict[str, Any]
) -> tuple[int, list[Searchable], str | None]:
    """The total, the page and the next cursor (None on the last page) a search body asks for."""
    limit = body.get("limit", 10)  # [doc] 10 when not given
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= PAGE_LIMIT:
        raise SearchRefused(f"limit must be between 1 and {PAGE_LIMIT}")
    start = decode_cursor(body.get("after"))
    if start + limit > TOTAL_LIMIT:  # [doc] paging past 10,000 is a 400
        raise SearchRefused(f"a search returns at most {TOTAL_LIMIT} results")
    groups, sort = _filters(body.get("filterGroups")), _sort_key(body.get("sorts"))
    query = body.get("query")
    found = [
        r
        for r in records
        if (not groups or any(all(_passes(r, f) for f in g) for g in groups))
        and (not query or _queried(object_type, r, str(query)))
    ]
    found.sort(key=lambda r: int(r.id))  # guess: id order when no sort is asked
    if sort is not None:
        name, descending = sort
        found.sort(key=lambda r: _order(r.properties.get(name)), reverse=descending)
    page = found[start : start + limit]
    following = start + limit if start + limit < min(len(found), TOTAL_LIMIT) else None
    return len(found), page, None if following is None else encode_cursor(following)


def _passes(record: Searchable, spec: dict[str, Any]) -> bool:
    return TESTS[str(spec["operator"])](record.properties.get(str(spec["propertyName"])), spec)


def _queried(object_type: str, record: Searchable, query: str) -> bool:
    texts = (record.properties.get(p) or "" for p in QUERY_PROPERTIES.get(object_type, ()))
    return any(query.lower() in t.lower() for t in texts)


def _order(value: str | None) -> tuple[int, float, str]:
    """guess: unset values sort first; numbers as numbers, the rest as text."""
    number = _number(value)
    if value in (None, ""):
        return (0, 0.0, "")
    return (1, number, "") if number is not None else (2, 0.0, str(value))


def shown(
    object_type: str, properties: dict[str, str], asked: Any, always: dict[str, str]
) -> dict[str, str]:
    """The properties an answer carries: those asked for (or the object's defaults), plus the
    ones every answer has ([doc] hs_object_id, createdate, hs_lastmodifieddate)."""
    names = (
        [str(n) for n in asked]
        if isinstance(asked, list) and asked
        else DEFAULT_PROPERTIES.get(object_type, ())
    )
    merged = {**properties, **always}
    picked = {n: merged[n] for n in names if n in merged}
    return {**picked, **always}
