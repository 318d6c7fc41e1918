"""The machine's invariants, checked after every `up`, preview and refusal."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

from pulumi import automation as auto

from pulumi_stages.emulator.server import LoggedRequest

from .model import REFUSALS
from .stats import STATS, check, violated


def written_kind(route: str) -> str:
    """What a write to one object's route changes: `stage`, `board`, `pipeline` or `other`."""
    for kind, sign in (
        ("stage", "/stages/{"),
        ("board", "/boards/{"),
        ("pipeline", "{pipelineId}"),
    ):
        if sign in route:
            return kind
    return "other"


def writes_of(entries: list[LoggedRequest]) -> list[LoggedRequest]:
    """The requests that change state (a search sent as POST is a read)."""
    return [e for e in entries if e.method not in ("GET", "HEAD") and not e.reads_only]


class Invariants:
    """What must hold after every completed `up` (and of a preview or a refused `up`)."""

    def preview_writes_nothing(self) -> None:
        """`pulumi preview` before an `up`, as a user runs it, writes nothing (a refusal there
        too); a queued fault waits for the `up` it was meant for."""
        queued = self.server.faults.drain()
        self.requests = []
        try:
            self.engine(self.stack.preview)
        except auto.CommandError as error:
            text = str(error)
            if not any(sign in text for sign in REFUSALS):
                raise violated(f"preview failed (trace: {self.trace}):\n{text[-3000:]}") from None
        finally:
            for fault in queued:
                self.server.faults.add(fault)
        written = [e.key for e in writes_of(self.requests)]
        check(written == [], f"the preview before up wrote {written} (trace: {self.trace})")
        STATS["previews before up, 0 writes"] += 1

    def state_deployment(self) -> dict[str, Any]:
        """The stack's latest checkpoint, read from its file backend's file: what `pulumi stack
        export` prints, without a CLI run (0.6 CPU-s) per check (no output read here is secret)."""
        backend = self.stack.backend
        assert backend is not None
        (path,) = backend.glob(f".pulumi/stacks/*/{self.stack.stack.name}.json")
        STATS["state reads"] += 1
        latest: dict[str, Any] = json.loads(path.read_text())["checkpoint"].get("latest") or {}
        return latest

    def state_ids(self) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """(container, stage name) -> id and board name -> id, as the state holds them."""
        deployment = self.state_deployment()
        stages: dict[tuple[str, str], str] = {}
        boards: dict[str, str] = {}
        for r in deployment.get("resources", []):
            outputs = r.get("outputs") or {}
            if r["type"].endswith(":Board"):
                boards[outputs["name"]] = r["id"]
            elif outputs.get("ordered_by_set") and not outputs.get("retired"):
                where = self.where(outputs)
                check(
                    (where, outputs["name"]) not in stages,
                    f"state holds {where}/{outputs['name']} twice",
                )
                stages[(where, outputs["name"])] = r["id"]
        return stages, boards

    def declared_account(self) -> dict[str, list[dict[str, Any]]]:
        """`account()` without what was made by hand outside the set (checked on its own)."""
        return {
            name: [s for s in live if f"stage:{s['id']}" not in self.foreign]
            for name, live in self.account().items()
            if self.container_id(name, live) not in self.foreign
        }

    def container_id(self, name: str, live: list[dict[str, Any]]) -> str:
        """A container's key in `foreign` (`board:ID`, `pipeline:ID`; Outreach's one list: its
        name, never foreign)."""
        return name

    def verify(self, requests: list[LoggedRequest] | None = None) -> None:
        account = self.declared_account()
        stages, self.state_boards = self.state_ids()  # read once: check_fields uses the boards
        self.check_writes(requests or [], account)
        self.check_foreign()
        self.check_records(account)
        declared = {c.name: c for c in self.containers}
        check(
            sorted(account) == sorted(declared),
            f"containers {sorted(account)} != declared {sorted(declared)}",
        )
        for name, container in declared.items():
            live = account[name]
            names = [s["name"] for s in live]
            check(
                len(set(names)) == len(names),
                f"{name}: duplicate stage names {names} (trace: {self.trace})",
            )
            check(
                names == container.names(),
                f"{name}: account {names} != declared {container.names()} (trace: {self.trace})",
            )
            positions = [s["position"] for s in live]
            check(
                all(isinstance(p, int) for p in positions)
                and all(a < b for a, b in itertools.pairwise(positions)),
                f"{name}: positions {positions} do not increase along {names}",
            )
            self.check_fields(container, live)
        held = sum(self.records_in(id_) for _, id_ in self.server.service.live_stages())
        check(
            held == self.records_put,
            f"{self.records_put} records put, {held} in live stages (trace: {self.trace})",
        )
        ids = {(c, s["name"]): s["id"] for c, live in account.items() for s in live}
        check(stages == ids, f"state ids {stages} != account ids {ids} (trace: {self.trace})")
        self.requests = []
        preview = self.engine(self.stack.preview)
        planned = {
            str(op): n for op, n in preview.change_summary.items() if op != auto.OpType.SAME and n
        }
        check(
            planned == {},
            f"the preview after up plans {planned} (trace: {self.trace}):\n"
            + "\n".join(self.stack.output[-60:]),
        )
        writes = [e.key for e in writes_of(self.requests)]
        check(writes == [], f"the preview after up wrote {writes}")
        self.checked = (self.steps, json.dumps(self.spec(), sort_keys=True))

    def check_writes(
        self, requests: list[LoggedRequest], account: dict[str, list[dict[str, Any]]]
    ) -> None:
        """The writes of one `up` (with its lost or killed runs) stay inside the declaration:
        each stage or container it creates is declared and made once, it writes nothing made by
        hand outside the set, deletes no stage the account keeps, and moves only the records of
        a stage retired with `moved_to`."""
        declared = {s.name for c in self.containers for s in c.stages}
        declared |= {c.name for c in self.containers}
        kept = {s["id"] for live in account.values() for s in live}
        moving = {record for record, stage in self.records.items() if stage in self.moves}
        made: Counter[tuple[str, str]] = Counter()
        for entry in writes_of(requests):
            for where, name in self.created(entry):
                check(name in declared, f"an up created {name!r}, not declared: {entry.key}")
                made[(where, name)] += entry.served
            if entry.method == "POST":
                continue
            target = entry.path.rstrip("/").rsplit("/", 1)[-1]
            if self.record_routes and entry.route.endswith(self.record_routes):
                check(
                    target in moving,
                    f"an up wrote record {target}, on no retired stage: {entry.key} {entry.body}",
                )
                continue
            kind = written_kind(entry.route)
            check(
                f"{kind}:{target}" not in self.foreign,
                f"an up wrote to {kind} {target}, made by hand outside the set: {entry.key} "
                f"{entry.body} (trace: {self.trace})",
            )
            if kind == "stage" and entry.method == "DELETE":
                check(target not in kept, f"an up deleted stage {target}, which it keeps")
        twice = {key: n for key, n in made.items() if n > 1}
        check(not twice, f"one up created {twice} more than once (trace: {self.trace})")
        STATS["writes checked"] += len(writes_of(requests))

    def check_foreign(self) -> None:
        """What was made by hand outside the set is as it was: id, name, fields, order."""
        now = self.foreign_view()
        for id_, was in self.foreign.items():
            check(
                now.get(id_) == was,
                f"{id_}, made by hand outside the set, was {was}, is {now.get(id_)} "
                f"(trace: {self.trace})",
            )
        STATS["foreign objects checked"] += len(self.foreign)

    def expected_stage(self, stage_id: str, account: dict[str, list[dict[str, Any]]]) -> str | None:
        """Where a record in `stage_id` must be after the `up`: the `moved_to` stage's id when
        its stage was retired, else the same stage."""
        if stage_id not in self.moves:
            return stage_id
        container, target = self.moves[stage_id]
        return next((s["id"] for s in account.get(container, []) if s["name"] == target), None)

    def check_records(self, account: dict[str, list[dict[str, Any]]]) -> None:
        """Each record put by hand, by id, sits in the stage it must: the same records, not
        only as many."""
        for record, stage_id in sorted(self.records.items()):
            expected = self.expected_stage(stage_id, account)
            seen = self.record_stage(record)
            check(
                seen == expected and expected is not None,
                f"record {record} is in stage {seen}, not {expected} (was in {stage_id}; "
                f"trace: {self.trace})",
            )
        STATS["records checked by id"] += len(self.records)
