"""What one provider process (one `pulumi up` or `preview`) learns across its resources.

The engine checks every resource before it creates, updates or deletes any, on up to four
threads, and the provider sees no URNs. Each resource passes its own name as an input, so this
registry can tell: a replacement's second check (which comes with no olds) from a brand-new
resource; two resources of one stack that declare the same object (the second is refused);
and an object a create took over, so the delete of the resource that held it before (after a
key change) leaves it alone.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any


def _identity_key(kind: str, identity: Mapping[str, Any]) -> tuple[str, str]:
    """Values as text: an id stored as a number (before ids were text) is the same id."""
    return (kind, json.dumps({k: str(v) for k, v in identity.items()}, sort_keys=True))


class ThisRun:
    """Thread-safe; one per provider process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._claims: dict[tuple[str, str], str] = {}
        self._taken: set[tuple[str, str]] = set()
        self._retired: set[tuple[str, str]] = set()
        self._replaced: dict[str, str] = {}

    def holds(self, resource: str, kind: str, identity: Mapping[str, Any]) -> str | None:
        """A resource in state was checked (with olds): it holds this identity. The name of a
        new resource that claimed it first, if one did (checks come in any order)."""
        with self._lock:
            self._known.add(resource)
            holder = self._claims.setdefault(_identity_key(kind, identity), resource)
        return None if holder == resource else holder

    def replacing(self, resource: str) -> bool:
        """Whether a check with no olds is the engine's re-check of a resource in state."""
        with self._lock:
            return bool(resource) and resource in self._known

    def replaces(self, resource: str, id_: str) -> None:
        """The diff of a resource in state says its object is replaced."""
        with self._lock:
            self._replaced[resource] = id_

    def replaced(self, resource: str) -> str | None:
        """The id of the object a replacement's create stands in for, once its diff ran."""
        with self._lock:
            return self._replaced.get(resource)

    def claim(self, resource: str, kind: str, identity: Mapping[str, Any]) -> str | None:
        """Claim an identity for a new resource; the other resource's name if one holds it."""
        with self._lock:
            holder = self._claims.setdefault(_identity_key(kind, identity), resource)
        return None if holder == resource else holder

    def took(self, kind: str, id_: str) -> None:
        """A create took over this existing object."""
        with self._lock:
            self._taken.add((kind, id_))

    def retired(self, kind: str, id_: str) -> None:
        """A stage set retired this object (its records moved, then it was deleted)."""
        with self._lock:
            self._retired.add((kind, id_))

    def was_retired(self, kind: str, id_: str) -> bool:
        """Whether a stage set of this run retired the object."""
        with self._lock:
            return (kind, id_) in self._retired

    def was_taken(self, kind: str, id_: str) -> bool:
        """Whether a create of this run took the object over."""
        with self._lock:
            return (kind, id_) in self._taken


THIS_RUN = ThisRun()
