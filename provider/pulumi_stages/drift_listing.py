"""What an account holds that the stack does not manage, for `pulumi-stages drift`.

Each adapter's exporter lists the account (the listing `pulumi-stages export` reads); its
locator says where each of the stack's resources sits in that listing. Names match per kind and
container: a hand-made stage is drift only inside a container whose stages the stack declares
(or, for a CRM without containers, in the account's one list; an adopted pipeline that lists no
stages leaves them as they are), and a container nobody declared (HubSpot's default pipeline,
another team's board) is information unless the caller counts it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .core import registry
from .core.config import resolve_endpoint
from .core.http import ApiClient
from .core.plurals import counting
from .core.registry import Adapter, Place
from .drift_report import Difference, Unmanaged

_DYNAMIC_MODULE = re.compile(r"^pulumi-python:dynamic/([^:]+):")
"""A dynamic resource's type token, e.g. `pulumi-python:dynamic/outreach:Stage`: its module."""


def adapter_of(type_token: str) -> str | None:
    """The adapter whose resource this type is; None for any other type, a dynamic resource of
    the user's own (`dynamic/<their module>:...`) included: only registered adapters' modules."""
    match = _DYNAMIC_MODULE.match(type_token)
    if match is None or match.group(1) not in registry.adapters():
        return None
    return match.group(1)


def place_of(adapter: Adapter, type_token: str, props: Mapping[str, Any]) -> Place | None:
    """Where a resource of the adapter sits in its account's listing."""
    return adapter.locate(type_token.rsplit(":", 1)[-1], props)


def _parent(kind: str) -> str:
    return kind.rsplit(".", 1)[0]


def _inside(place: Place) -> Place:
    """The container place of an item in a container."""
    return Place(_parent(place.kind), "", place.container)


def _singular(key: str) -> str:
    return key[:-1] if key.endswith("s") else key


def word(adapter: Adapter, kind: str) -> str:
    """What an item of this kind is called: "board", "deal pipeline", "stage"."""
    return adapter.containers.get(kind) or _singular(kind.rsplit(".", 1)[-1])


def where(adapter: Adapter, place: Place | None) -> str:
    """The container a place is in, for a report row ("" for the account itself)."""
    if place is None or not place.container:
        return ""
    return f"{adapter.name} {word(adapter, _parent(place.kind))} {place.container!r}"


def listed_places(
    section: Any, kind: str = "", container: str = ""
) -> Iterator[tuple[Place, bool]]:
    """Every named item of an exported section with its place, and whether it is a container
    (an item holding a list of items, e.g. a board with its stages)."""
    if not isinstance(section, dict):
        return
    for key, value in section.items():
        path = f"{kind}.{key}" if kind else key
        if isinstance(value, dict):  # lists keyed by type (HubSpot's custom_objects)
            yield from listed_places(value, path, container)
            continue
        if not isinstance(value, list):
            continue
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                holds = any(isinstance(v, list) for v in item.values())
                yield Place(path, container, item["name"]), holds
                yield from listed_places(item, path, item["name"])


def held_places(steps: Sequence[Mapping[str, Any]], adapter: Adapter) -> Counter[Place]:
    """Places the stack's resources of one adapter hold, declared or live, each counted once
    per resource (a stage renamed by hand holds its declared and its live name)."""
    held: dict[str, set[Place]] = {}
    for step in steps:
        for state, part in ((step.get("oldState"), "outputs"), (step.get("newState"), "inputs")):
            if not state or adapter_of(str(state.get("type", ""))) != adapter.name:
                continue
            place = place_of(adapter, str(state.get("type", "")), state.get(part) or {})
            if place is not None:
                held.setdefault(str(step.get("urn")), set()).add(place)
    return Counter(place for places in held.values() for place in places)


def compare(
    adapter: Adapter, listed: Sequence[tuple[Place, bool]], held: Counter[Place], counted: bool
) -> tuple[list[Difference], list[Unmanaged]]:
    """Rows for items no resource holds inside what the stack declares; the containers it does
    not declare, as rows when `counted`, else as information."""
    container_kinds = {p.kind for p, holds in listed if holds}
    container_kinds |= {_parent(p.kind) for p in [*held, *(p for p, _ in listed)] if p.container}
    stocked = {(_parent(p.kind), p.container) for p in held if p.container}
    declared = {(p.kind, p.name) for p in held if not p.container and p.kind in container_kinds}
    declared |= stocked
    rows: list[Difference] = []
    unmanaged: list[Unmanaged] = []
    for place, extra in sorted((Counter(p for p, _ in listed) - held).items()):
        what = f"{adapter.name} {word(adapter, place.kind)} {place.name!r}"
        if not place.container and place.kind in container_kinds:
            if (place.kind, place.name) in declared:
                continue
            inside = sum(1 for p, _ in listed if p.container and _inside(p) == place)
            for _ in range(extra):
                if counted:
                    rows.append(
                        Difference(
                            what,
                            "(not managed)",
                            "-",
                            "-",
                            f"present ({counting(inside, 'stage')})",
                        )
                    )
                else:
                    unmanaged.append(Unmanaged(what, inside))
        elif not place.container or (_parent(place.kind), place.container) in stocked:
            rows += [
                Difference(what, "(unexpected)", "-", "-", "present", where(adapter, place))
            ] * extra
    return rows, unmanaged


def unexpected(
    steps: Sequence[Mapping[str, Any]],
    config: Mapping[str, Any],
    environ: Mapping[str, str],
    counted: bool = False,
) -> tuple[list[Difference], list[Unmanaged]]:
    """Items each account the stack uses holds that no resource of the stack manages."""
    used = {
        found
        for step in steps
        for state in (step.get("oldState"), step.get("newState"))
        if state and (found := adapter_of(str(state.get("type", "")))) is not None
    }
    rows: list[Difference] = []
    unmanaged: list[Unmanaged] = []
    for name, adapter in registry.adapters().items():
        if name not in used:
            continue
        endpoint = resolve_endpoint(adapter.settings, config, environ)
        client = ApiClient(endpoint, adapter.dialect)
        try:
            section = adapter.export(client, lambda _count: None)
        finally:
            client.close()
        extra, info = compare(
            adapter, list(listed_places(section)), held_places(steps, adapter), counted
        )
        rows += extra
        unmanaged += info
    return rows, unmanaged
