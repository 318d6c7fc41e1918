"""A stage set's retirements: the stages its `retired:` entries move elsewhere (`moved_to`).

The set's ordering resource carries them out, so the retired stage's own resource simply leaves
the program: the engine plans its delete (the preview's summary counts it), the order's line
names the record moves (`retires`), and the `up` moves the records, counts the stage again and
deletes it before the engine reaches that delete, which then has nothing left to do. A stage
retired by an earlier `up` is remembered (`retired`), so removing its entry plans nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .backend import Remote
from .errors import AmbiguousAdoption, ConfigError
from .preview_reads import reading
from .resource import ApiResourceProvider
from .retirement import plan_line
from .unknowns import UNKNOWN, is_unknown

MOVED_TO_KEY = "moved_to"
"""Input: each retired stage's name -> the name of the set's stage its records move to."""
RETIRING_KEY = "retiring"
"""Set by check: each stage this plan retires (still in the account) -> its id."""
LINES_KEY = "retires"
"""Set by check: each stage this plan retires -> what happens to it and its records."""
DONE_KEY = "retired"
"""The retired stages an earlier `up` already moved and deleted, while their entries stay."""

LOOKED_UP_AT_UP = object()
"""What `_find` answers when the stage's board or pipeline is made or adopted in this plan:
which stage the entry names can only be known at the `up`."""


class RetiredStillDeclared(ConfigError):
    """A `retired:` entry names a stage the set still declares under another name (a rename
    with `key`): retiring it would delete a declared stage."""


def remembered(props: Mapping[str, Any]) -> list[str]:
    """The retired stages an earlier `up` carried out, from an order's inputs or outputs (so a
    refresh, which rewrites the inputs, keeps them)."""
    return sorted({*(props.get(DONE_KEY) or []), *(props.get(RETIRING_KEY) or {})})


class Retirements:
    """Plans (at check) and carries out (at create or update) a set's retirements."""

    def __init__(self, stages: ApiResourceProvider) -> None:
        self._stages = stages

    def plan(
        self, olds: Mapping[str, Any], moves: Mapping[str, str], stages: Any
    ) -> dict[str, Any]:
        """The order's retirement inputs: the entries, those already done, and for each stage
        still in the account its id and the preview's line (its records, counted)."""
        done_before = set(remembered(olds))
        planned: dict[str, Any] = {
            MOVED_TO_KEY: dict(moves),
            DONE_KEY: sorted(name for name in moves if name in done_before),
        }
        pending = {name: target for name, target in moves.items() if name not in done_before}
        if not pending:
            return planned
        old_ids = {str(k): str(v) for k, v in (olds.get("stages") or {}).items()}
        ids = stages if isinstance(stages, dict) else {}
        settings = self._stages.settings
        retiring: dict[str, str] = {}
        lines: dict[str, str] = {}
        with reading(settings, "count the records of the retired stages"):
            account = self._stages.account()
            backend = self._stages.make_backend(account)
            listed = self._stages.listed(account, backend)
            for name, target in sorted(pending.items()):
                found = self._find(listed, name, old_ids.get(name), ids)
                if found is None:
                    continue  # gone already: nothing to retire
                if found is LOOKED_UP_AT_UP:
                    lines[name] = (
                        f"if {settings.api} has a stage {name!r} beside this set's stages, its "
                        f"records move to {target!r} and it is deleted (its container is made "
                        "or adopted in this plan, so the up looks it up and counts them)"
                    )
                    continue
                assert isinstance(found, str)
                target_id = ids.get(target, UNKNOWN)
                where = {"moved_to": target, "moved_to_id": target_id}
                lines[name] = plan_line(backend, settings.api, found, where)
                retiring[name] = found
        if retiring:
            planned[RETIRING_KEY] = retiring
        if lines:
            planned[LINES_KEY] = lines
        return planned

    def _find(
        self, listed: list[Remote], name: str, old_id: str | None, ids: Mapping[str, Any]
    ) -> str | object | None:
        """The retired stage's id: the one the set held, if the account still has it; for a
        stage this stack never managed (a promotion), the one of that name beside the set's
        stages, or LOOKED_UP_AT_UP when their container is not known yet (never guessed).
        Never a stage the set still declares: that refuses the plan."""
        known = {str(v) for v in ids.values() if not is_unknown(v)}
        if old_id is not None:
            if old_id in known:
                declared = next(n for n, v in ids.items() if str(v) == old_id)
                raise RetiredStillDeclared(
                    f"moved_to: the retired entry {name!r} names stage {old_id}, which this set "
                    f"still declares as {declared!r} (renamed with its key); nothing was "
                    f"retired. Remove the entry {name!r} from retired: the stage is kept."
                )
            return old_id if any(r.id == old_id for r in listed) else None
        container = self._stages.identity_fields[1:]
        beside = next((r for r in listed if r.id in known), None)
        if container and beside is None:
            return LOOKED_UP_AT_UP
        found = [
            r
            for r in listed
            if r.outs.get("name") == name
            and r.id not in known
            and all(beside is None or r.outs.get(f) == beside.outs.get(f) for f in container)
        ]
        if len(found) > 1:
            raise AmbiguousAdoption(
                f"{self._stages.settings.api} has {len(found)} stages named {name!r} (ids "
                f"{', '.join(sorted(r.id for r in found))}); nothing was retired. Rename or "
                "remove the extra one by hand."
            )
        return found[0].id if found else None

    def carry_out(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Retire each planned stage (records moved, counted again, then deleted); the outputs
        that remember them."""
        retiring: Mapping[str, Any] = props.get(RETIRING_KEY) or {}
        done: Iterable[str] = props.get(DONE_KEY) or []
        if not retiring:
            return {DONE_KEY: list(done)}
        account = self._stages.account()
        moved: dict[str, Any] = {}
        for name, id_ in sorted(retiring.items()):
            target = props[MOVED_TO_KEY][name]
            where = {"name": name, "moved_to": target, "moved_to_id": str(props["stages"][target])}
            moved[name] = self._stages.retire_stage(account, str(id_), where).get("moved_records")
        return {DONE_KEY: sorted({*done, *retiring}), "moved_records": moved}
