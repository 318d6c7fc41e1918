"""The create journal: what this stack began creating in an account, so that a create after a
killed `pulumi up` takes over what the dead run made instead of making it again.

The engine forgets a create that was under way when `pulumi up` died (`pulumi refresh
--clear-pending-creates` drops it), and it cannot import dynamic resources. So before every POST
the provider appends an intent (kind, identity, time, window) to a journal kept per account and
stack in the provider's memory (beside the state backend, so another runner sees it), and the
object's id once the API answers. A later check that finds an object with the same identity in
the account takes it over only if this stack's journal says it began creating it: by id, or, for
an intent that never got an answer, an object created inside that create's own time window (the
longest a create can take with its retries: minutes). The create that takes it over claims the
intent (under the journal's lock: one claim per intent), which closes it. An intent that found
nothing to take over (its POST never reached the API) is superseded once a create of the same
identity begun later is answered: that create found no object of the dead run's to take over,
so the old intent no longer explains one someone makes by hand inside its window. Superseding
can only make fewer objects this stack's: what a dead run's POST made if it lands after all (or
a writer whose clock is far behind) stays outside the stack, refused as a duplicate by a later
create of its identity (`adopt` takes it), never taken over.

Entries are keyed by the account, never by a token: API, base URL and stack name the journal,
and each entry records the account (`expectedAccount`) where the stack names one, so rotating a
token forgets nothing and another account's entries never explain an object.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .backend import Remote
from .errors import ConfigError
from .http import REQUEST_TIMEOUT_SECONDS, RetryPolicy
from .memory import MEMORY_CONFIG, LockTimeout, Store, StoreUnusable, Unreachable
from .recovery import CLOCK_SKEW_SECONDS

KEEP_SECONDS = 7 * 24 * 3600.0
"""Entries older than this are ignored: recovery follows a crash, not a week later."""


def create_window(policy: RetryPolicy | None = None) -> float:
    """The longest one create can take: every attempt waits its longest for the server (a
    Retry-After or the rate budget) and then its full request timeout."""
    policy = policy or RetryPolicy()
    return policy.attempts * (policy.max_server_wait + REQUEST_TIMEOUT_SECONDS)


@functools.lru_cache(maxsize=1 << 16)
def _parsed(line: str) -> Any:
    """A journal line's JSON, parsed once per process (the entry is shared: never modified).
    Every recovery check reads the whole log again, and parsing 1,000 lines took 7.6 ms each
    time: a recovering `up` of 1,000 stages would spend some 15 CPU-s re-parsing the same lines."""
    return json.loads(line)


def _created_at(remote: Remote) -> float | None:
    created = remote.outs.get("created_at")
    if not isinstance(created, str) or not created:
        return None
    try:
        return datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def open_intents(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The intents among a log's entries that are still open: never answered with an id, and
    not superseded (no create of the same kind and identity begun later, by the writers'
    clocks, has been answered)."""
    begins = [e for e in entries if "window" in e]
    answered = {e.get("intent") for e in entries if e.get("id")}
    latest: dict[str, float] = {}
    for e in begins:
        if e.get("intent") in answered:
            latest[_what(e)] = max(latest.get(_what(e), -math.inf), _at(e))
    return [
        e
        for e in begins
        if e.get("intent") not in answered and _at(e) >= latest.get(_what(e), -math.inf)
    ]


def _what(entry: Mapping[str, Any]) -> str:
    return json.dumps([entry.get("kind"), entry.get("identity")], sort_keys=True)


def _at(entry: Mapping[str, Any]) -> float:
    return float(entry.get("at") or 0)


def memory_opens(store: Store) -> None:
    """Fail (at a preview) when the memory cannot even be opened, its SDK not installed: every
    create would refuse for that reason, after a preview that said it would go ahead. No
    request is sent."""
    if isinstance(store, Unreachable):
        raise _unusable(store.where, store.reason)


def _unusable(where: str, reason: str, done: str = "") -> ConfigError:
    """The journal's refusal; `done` names what was already done in the account, if anything."""
    then = (
        f"{done}, but the journal could not record it"
        if done
        else "without it a killed `up` could not be recovered, so nothing was changed"
    )
    return ConfigError(
        f"The create journal in the provider's memory at {where} cannot be used ({reason}); "
        f"{then}. Make it reachable, or set {MEMORY_CONFIG} to a place that is."
    )


class CreateJournal:
    """One log per (API, base URL, stack) in the memory store; each entry one atomic append."""

    def __init__(
        self, api: str, base_url: str, stack: str, store: Store, account: str = ""
    ) -> None:
        digest = hashlib.sha256(f"{api}|{base_url}|{stack}".encode()).hexdigest()[:32]
        self.log = f"journal/{digest}"
        self._store = store
        self._account = account

    def _append(self, entry: Mapping[str, Any], done: str = "") -> None:
        stamped = {**entry, "at": time.time()}
        if self._account:
            stamped["account"] = self._account
        try:
            self._store.append(self.log, json.dumps(stamped, sort_keys=True))
        except StoreUnusable as exc:
            raise self._unusable(exc.reason, done) from None

    def _unusable(self, reason: str, done: str = "") -> ConfigError:
        return _unusable(self._store.where, reason, done)

    def begin(self, kind: str, identity: Mapping[str, Any]) -> str:
        """Before a create is sent; returns the intent's id, for `created`."""
        intent = uuid.uuid4().hex
        self._append(
            {"kind": kind, "identity": dict(identity), "intent": intent, "window": create_window()}
        )
        return intent

    def created(self, kind: str, identity: Mapping[str, Any], intent: str, id_: str) -> None:
        """Once the API answered the create `intent` with the object's id."""
        entry = {"kind": kind, "identity": dict(identity), "intent": intent, "id": id_}
        self._append(entry, f"the {kind} was created (id {id_})")

    def deleted(self, kind: str, id_: str) -> None:
        """The object is gone (this stack deleted it): it can never be ours again."""
        self._append({"kind": kind, "deleted": id_}, f"the {kind} was deleted (id {id_})")

    def _entries(self, kind: str) -> list[Mapping[str, Any]]:
        oldest = time.time() - KEEP_SECONDS
        found: list[Mapping[str, Any]] = []
        try:
            lines = self._store.lines(self.log)
        except StoreUnusable as exc:
            raise self._unusable(exc.reason) from None
        for line in lines:
            try:
                entry = _parsed(line)
            except ValueError:
                continue  # a line cut by a crash
            if not isinstance(entry, dict) or entry.get("kind") != kind:
                continue
            other = entry.get("account") and self._account and entry["account"] != self._account
            if float(entry.get("at") or 0) >= oldest and not other:
                found.append(entry)
        return found

    def _open_intents(
        self, kind: str, identity: Mapping[str, Any]
    ) -> tuple[list[Mapping[str, Any]], set[str], set[str]]:
        """This identity's unanswered intents, the ids answered for it, and the ids deleted."""
        entries = self._entries(kind)
        gone = {str(e["deleted"]) for e in entries if e.get("deleted")}
        wanted = dict(identity)
        same = [e for e in entries if e.get("identity") == wanted]
        ids = {str(e["id"]) for e in same if e.get("id")} - gone
        return open_intents(same), ids, gone

    @staticmethod
    def _explains(intent: Mapping[str, Any], remote: Remote) -> bool:
        """Whether the object was created inside the intent's window (the API's clock may
        differ from ours by CLOCK_SKEW_SECONDS either way); never without a creation time."""
        created = _created_at(remote)
        if created is None:
            return False
        began = _at(intent)
        window = float(intent.get("window") or create_window())
        return began - CLOCK_SKEW_SECONDS <= created <= began + window + CLOCK_SKEW_SECONDS

    def ours(
        self, kind: str, identity: Mapping[str, Any], candidates: Iterable[Remote]
    ) -> list[Remote]:
        """The candidates this stack made: by id (and not deleted since), or created inside the
        window of a create of this identity that was never answered (the run died during it)."""
        unanswered, ids, gone = self._open_intents(kind, identity)
        return [
            c
            for c in candidates
            if c.id not in gone and (c.id in ids or any(self._explains(i, c) for i in unanswered))
        ]

    def claim(self, kind: str, identity: Mapping[str, Any], remote: Remote) -> bool:
        """Record that a create took `remote` over: it answers (closes) the unanswered intent
        that explains it, under the journal's lock so that two runs never claim one intent.
        True when it is ours (already by id, or now by that intent)."""
        try:
            with self._store.locked(self.log):
                return self._claim_locked(kind, identity, remote)
        except StoreUnusable as exc:
            raise self._unusable(exc.reason) from None
        except LockTimeout:
            raise self._unusable("another run has held its lock too long") from None

    def _claim_locked(self, kind: str, identity: Mapping[str, Any], remote: Remote) -> bool:
        unanswered, ids, _ = self._open_intents(kind, identity)
        if remote.id in ids:
            return True
        explaining = [i for i in unanswered if self._explains(i, remote)]
        if not explaining:
            return False
        intent = min(explaining, key=_at)
        self._append(
            {
                "kind": kind,
                "identity": dict(identity),
                "intent": intent["intent"],
                "id": remote.id,
                "recovered": True,
            }
        )
        return True
