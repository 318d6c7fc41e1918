"""A saved plan's changes, in a form two previews can be compared by: for each resource that
changes, its steps and the input differences the plan holds (secret values shown as
[secret]; the provider's random reference and the plan's seed left out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's placeholder for a value known only after the apply (a new stage's id)."""

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
"""The key Pulumi marks a secret value with in a plan or a state file."""


def _plain(value: Any) -> Any:
    """A value with every secret replaced by the text [secret] (ciphertexts differ per run)."""
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return "[secret]"
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def changes(plan: dict[str, Any]) -> dict[str, Any]:
    """{urn: {"steps": [...], "inputs": {adds, updates, deletes}}} of every resource the plan
    changes (a resource whose only step is `same` is left out)."""
    found: dict[str, Any] = {}
    for urn, entry in sorted((plan.get("resourcePlans") or {}).items()):
        steps = [s for s in entry.get("steps") or [] if s != "same"]
        if not steps:
            continue
        goal = entry.get("goal") or {}
        found[urn] = {"steps": steps, "inputs": _plain(goal.get("inputDiff") or {})}
    return found


def load_changes(path: Path) -> dict[str, Any]:
    """The changes of a saved plan file."""
    return changes(json.loads(path.read_text()))


def _value(diff: dict[str, Any], key: str) -> str:
    """A changed input's new value as JSON; `(removed)` for an input the change deletes."""
    for part in ("updates", "adds"):
        if key in (diff.get(part) or {}):
            return json.dumps(diff[part][key]).replace(f'"{UNKNOWN}"', "(known after apply)")
    return "(removed)"


def describe(urn: str, change: dict[str, Any] | None) -> str:
    """One line: a resource's name, its steps and the inputs it changes."""
    name = urn.rsplit("::", 1)[-1]
    if change is None:
        return f"{name}: no change"
    diff = change["inputs"]
    keys = sorted({k for part in ("adds", "updates", "deletes") for k in diff.get(part) or {}})
    shown = [f"{k}={_value(diff, k)}" for k in keys if not k.startswith("__")]
    return f"{name}: {', '.join(change['steps'])} {' '.join(shown)}".rstrip()


def differences(reviewed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Lines naming each resource whose change differs: reviewed, then now."""
    lines = []
    for urn in sorted(set(reviewed) | set(fresh)):
        if reviewed.get(urn) != fresh.get(urn):
            lines.append(f"  reviewed: {describe(urn, reviewed.get(urn))}")
            lines.append(f"  now:      {describe(urn, fresh.get(urn))}")
    return lines
