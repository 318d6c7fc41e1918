"""The create journal: what this stack began creating in an account, so that a create after a
killed `pulumi up` takes over what the dead run made instead of making it again.

The engine forgets a create that was under way when `pulumi up` died (`pulumi refresh
--clear-pending-creates` drops it), and it cannot import dynamic resources. So before every POST
the provider appends an intent (kind, identity, time) to a journal kept per account and stack
beside the token cache, and the object's id once the API answers. A later check that finds an
object with the same identity in the account takes it over only if this stack's journal says it
began creating it: a stage someone else made is never claimed silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .backend import Remote
from .oauth import default_cache_dir
from .recovery import CLOCK_SKEW_SECONDS, created_since

KEEP_SECONDS = 7 * 24 * 3600.0
"""Entries older than this are ignored: recovery follows a crash, not a week later."""

UNANSWERED_SECONDS = 24 * 3600.0
"""How long a create that was never answered can still explain an object of its name."""


def journal_dir() -> Path:
    """Beside the token cache (`$PULUMI_STAGES_TOKEN_CACHE/../journal`)."""
    return default_cache_dir().parent / "journal"


class CreateJournal:
    """Append-only JSON lines, one file per account (API, base URL, token) and stack; safe
    across processes (each entry is one `O_APPEND` write)."""

    def __init__(
        self, api: str, base_url: str, token: str, stack: str, directory: Path | None = None
    ) -> None:
        digest = hashlib.sha256(f"{api}|{base_url}|{token}|{stack}".encode()).hexdigest()[:32]
        self.path = (directory or journal_dir()) / f"{digest}.jsonl"

    def _append(self, entry: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = (json.dumps({**entry, "at": time.time()}, sort_keys=True) + "\n").encode()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)

    def begin(self, kind: str, identity: Mapping[str, Any]) -> str:
        """Before a create is sent; returns the intent's id, for `created`."""
        intent = uuid.uuid4().hex
        self._append({"kind": kind, "identity": dict(identity), "intent": intent})
        return intent

    def created(self, kind: str, identity: Mapping[str, Any], intent: str, id_: str) -> None:
        """Once the API answered the create `intent` with the object's id."""
        self._append({"kind": kind, "identity": dict(identity), "intent": intent, "id": id_})

    def deleted(self, kind: str, id_: str) -> None:
        """The object is gone (this stack deleted it): it can never be ours again."""
        self._append({"kind": kind, "deleted": id_})

    def _entries(self, kind: str) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text().splitlines()
        except OSError:
            return []
        oldest = time.time() - KEEP_SECONDS
        found = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash
            fresh = isinstance(entry, dict) and float(entry.get("at") or 0) >= oldest
            if fresh and entry.get("kind") == kind:
                found.append(entry)
        return found

    def ours(
        self, kind: str, identity: Mapping[str, Any], candidates: Iterable[Remote]
    ) -> list[Remote]:
        """The candidates this stack made: by id (and not deleted since), or made after a create
        of this identity that was never answered (the run died during it)."""
        entries = self._entries(kind)
        gone = {str(e["deleted"]) for e in entries if e.get("deleted")}
        same = [e for e in entries if e.get("identity") == dict(identity)]
        answered = {e["intent"] for e in same if e.get("id")}
        ids = {str(e["id"]) for e in same if e.get("id")} - gone
        recent = time.time() - UNANSWERED_SECONDS
        starts = [
            float(e["at"])
            for e in same
            if not e.get("id") and e.get("intent") not in answered and float(e["at"]) >= recent
        ]
        since = min(starts) - CLOCK_SKEW_SECONDS if starts else None
        return [
            c
            for c in candidates
            if c.id not in gone
            and (
                c.id in ids
                or (
                    since is not None and bool(c.outs.get("created_at")) and created_since(c, since)
                )
            )
        ]
