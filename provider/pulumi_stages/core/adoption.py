"""Adoption: take over an object the account already has instead of creating a duplicate.

`adopt` matches by identity (a name, and a board for Capsule) in the account's listing, one
listing per account and kind however many objects are adopted; `adopt_id` names the object.
Either way only the fields that differ are written. The same matching gives the preview its
`adopts` line, since the engine can only show an adoption as a create.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .backend import Backend, Remote
from .errors import AdoptionTargetMissing, AmbiguousAdoption


def id_order(id_: str) -> tuple[bool, int, str]:
    """Sorts ids numerically where they are numbers, else as text."""
    return (not id_.isdigit(), int(id_) if id_.isdigit() else 0, id_)


def matching(listed: Iterable[Remote], wanted: Mapping[str, Any]) -> list[Remote]:
    """The listed objects whose identity fields equal the declared ones. Every check and create
    of a new resource scans the whole listing, so the first field (the name) is compared
    inline: adopting 1,000 stages spent about 3 CPU-s here when each object built a generator."""
    if not wanted:
        return list(listed)
    (first, value), *rest = wanted.items()
    return [
        r for r in listed if r.outs.get(first) == value and all(r.outs.get(k) == v for k, v in rest)
    ]


def with_id(listed: Iterable[Remote], id_: Any) -> list[Remote]:
    """The listed object `adopt_id` names (an empty list when the listing lacks it)."""
    return [r for r in listed if r.id == str(id_)]


def differences(
    existing: Remote, fields: Mapping[str, Any], owned: Iterable[str]
) -> dict[str, Any]:
    """The declared fields adoption would change on `existing` (never a set-owned position)."""
    kept = set(owned)
    return {
        k: v for k, v in fields.items() if k in kept and v is not None and existing.outs.get(k) != v
    }


def adoptee(
    api: str,
    backend: Backend,
    listed: Sequence[Remote],
    inputs: Mapping[str, Any],
    identity: Mapping[str, Any],
) -> Remote | None:
    """The object `adopt_id` or `adopt` points at; None when nothing is to be adopted."""
    if inputs.get("adopt_id") is not None:
        id_ = str(inputs["adopt_id"])
        existing = next(iter(with_id(listed, id_)), None) or backend.read(id_)
        if existing is None:
            raise AdoptionTargetMissing(f"{api} has no object {id_} to adopt (adopt_id)")
        return existing
    if not inputs.get("adopt"):
        return None
    matches = matching(listed, identity)
    if len(matches) > 1:
        ids = ", ".join(sorted((r.id for r in matches), key=id_order))
        raise AmbiguousAdoption(
            f"{api} has {len(matches)} objects named {identity.get('name')!r} (ids {ids}); "
            "adopt one of them with adopt_id instead of adopt"
        )
    return matches[0] if matches else None


def note(
    kind: str,
    listed: Iterable[Remote],
    identity: Mapping[str, Any],
    fields: Mapping[str, Any],
    *,
    owned: Iterable[str],
    editable: Iterable[str],
) -> str | None:
    """For the preview: the existing object `adopt` will take over and how it differs (a field
    the API cannot change in place is kept, and said so); None when nothing matches."""
    matches = matching(listed, identity)
    if len(matches) > 1:
        ids = ", ".join(sorted((r.id for r in matches), key=id_order))
        return f"{len(matches)} existing {kind}s match (ids {ids}): adopt_id must pick one"
    if not matches:
        return None
    existing = matches[0]
    changeable = set(editable)
    changes = [
        f"{k} {existing.outs.get(k)!r} => {v!r}"
        + ("" if k in changeable else " (cannot be changed in place: kept; a replace would)")
        for k, v in differences(existing, fields, owned).items()
    ]
    return f"existing {kind} {existing.id}; " + (
        "differs in " + ", ".join(changes) if changes else "no differences"
    )
