"""`pulumi-stages drift`: a read-only comparison of a stack's declaration, state and live accounts.

The engine does the comparing it already knows how to do: `pulumi preview --refresh --json` reads
every managed stage through the stack's own providers (credentials from stack config, as in an
`up`) and diffs the declaration against what the account holds, without saving anything. What the
engine cannot see, stages in an account that no resource manages, comes from each adapter's
exporter (the listing `pulumi-stages export` reads). Nothing here names a CRM: adapters come from
the registry, and the kinds of resource from the types in the stack.

Nothing is written: no API write (the providers only read in a preview, the exporter only lists),
no state change (a preview never saves a checkpoint).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core import registry
from .core.config import resolve_endpoint
from .core.errors import StagesError
from .core.http import ApiClient

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's placeholder for a value only known after an `up` (an id to be created)."""

_DYNAMIC_MODULE = re.compile(r"^pulumi-python:dynamic/([^:]+):")
"""A dynamic resource's type token, e.g. `pulumi-python:dynamic/outreach:Stage`: its module."""
_HIDDEN_INPUTS = ("__",)


@dataclass(frozen=True)
class Difference:
    """One row of the report: a field whose declared, recorded or live values differ."""

    resource: str
    field: str
    declared: str
    state: str
    live: str


@dataclass
class DriftReport:
    """What `drift` found for one stack."""

    stack: str
    rows: list[Difference] = field(default_factory=list)
    checked: int = 0

    @property
    def in_sync(self) -> bool:
        """True when declaration, state and accounts agree."""
        return not self.rows


def _shown(value: Any) -> str:
    """A value as one short cell: lists joined by commas, mappings as key=value."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items()) or "(none)"
    return str(value)


def _has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return bool(value == UNKNOWN)


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _adapter_of(type_token: str) -> str | None:
    """The adapter whose resource this type is; None for any other type, a dynamic resource of
    the user's own (`dynamic/<their module>:...`) included: only registered adapters' modules."""
    match = _DYNAMIC_MODULE.match(type_token)
    if match is None or match.group(1) not in registry.adapters():
        return None
    return match.group(1)


class Pulumi:
    """Runs read-only `pulumi` commands on one stack of a project folder."""

    def __init__(self, project: Path, stack: str, environ: Mapping[str, str]) -> None:
        self.project = project
        self.stack = stack
        self.environ = dict(environ)

    def run_json(self, *args: str) -> Any:
        """Run `pulumi ARGS --json` and return the parsed document; a clear error otherwise."""
        command = [
            "pulumi",
            *args,
            "--json",
            "--non-interactive",
            "--stack",
            self.stack,
            "--cwd",
            str(self.project),
        ]
        try:
            done = subprocess.run(
                command, env=self.environ, capture_output=True, text=True, check=False
            )
        except FileNotFoundError:
            raise StagesError("the `pulumi` command is not on PATH") from None
        if done.returncode != 0:
            raise StagesError(
                f"`pulumi {' '.join(args)}` failed (exit {done.returncode}):\n"
                + _engine_errors(done.stdout, done.stderr)
            )
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError as error:
            raise StagesError(f"`pulumi {' '.join(args)}` printed no JSON: {error}") from None


def _engine_errors(stdout: str, stderr: str) -> str:
    """The error lines of a failed engine run (its JSON diagnostics when it printed them)."""
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError:
        return (stderr or stdout).strip()
    lines = [
        str(d.get("message", "")).strip()
        for d in document.get("diagnostics", [])
        if isinstance(d, dict) and d.get("severity") == "error"
    ]
    return "\n".join(line for line in lines if line) or stderr.strip()


def _declared_vs_live(steps: Sequence[Mapping[str, Any]]) -> tuple[list[Difference], int]:
    """Rows from the preview: a field the declaration and the live account disagree on, a
    declared resource missing from the account, a recorded resource no longer declared."""
    recorded: dict[str, Mapping[str, Any]] = {}
    for step in steps:
        if step.get("op") == "refresh" and step.get("oldState"):
            recorded[step["urn"]] = step["oldState"].get("outputs") or {}
    rows: list[Difference] = []
    managed: set[str] = set()
    for step in steps:
        op = step.get("op")
        urn = str(step.get("urn", ""))
        type_token = str((step.get("newState") or step.get("oldState") or {}).get("type", ""))
        if _adapter_of(type_token) is None:
            continue
        managed.add(urn)
        if op == "refresh":
            continue
        name = _name_of(urn)
        old = (step.get("oldState") or {}).get("outputs") or {}
        new = (step.get("newState") or {}).get("inputs") or {}
        state = recorded.get(urn, {})
        if op in ("update", "replace", "create-replacement", "delete-replaced"):
            if op == "delete-replaced":
                continue
            for key in sorted(set(new) & set(old)):
                if key.startswith(_HIDDEN_INPUTS) or _has_unknown(new[key]):
                    continue
                if new[key] != old[key]:
                    rows.append(
                        Difference(
                            name, key, _shown(new[key]), _shown(state.get(key)), _shown(old[key])
                        )
                    )
        elif op == "create":
            was = "in state, gone from the account" if urn in recorded else "never applied"
            rows.append(Difference(name, "(missing)", _shown(new.get("name")), was, "missing"))
        elif op == "delete":
            rows.append(
                Difference(
                    name, "(not declared)", "-", _shown(state.get("name")), _shown(old.get("name"))
                )
            )
    return rows, len(managed)


def _listed_names(section: Any, kind: str = "") -> Iterator[tuple[str, str]]:
    """(kind, name) of every named item in an exported section, e.g. ("stage", "Won")."""
    if isinstance(section, dict):
        for key, value in section.items():
            if isinstance(value, list):
                singular = key[:-1] if key.endswith("s") else key
                for item in value:
                    if isinstance(item, dict) and isinstance(item.get("name"), str):
                        yield singular, item["name"]
                    yield from _listed_names(item, singular)
    elif isinstance(section, list):
        for item in section:
            yield from _listed_names(item, kind)


def _known_names(steps: Sequence[Mapping[str, Any]], adapter: str) -> Counter[str]:
    """Names the stack's resources of one adapter hold, declared or live, each counted once per
    resource."""
    names: dict[str, set[str]] = {}
    for step in steps:
        for state, part in ((step.get("oldState"), "outputs"), (step.get("newState"), "inputs")):
            if not state or _adapter_of(str(state.get("type", ""))) != adapter:
                continue
            value = (state.get(part) or {}).get("name")
            if isinstance(value, str):
                names.setdefault(str(step.get("urn")), set()).add(value)
    return Counter(name for held in names.values() for name in held)


def _stack_config(pulumi: Pulumi) -> dict[str, Any]:
    """The stack's config with secrets decrypted, kept in memory only (never printed)."""
    document = pulumi.run_json("config", "--show-secrets")
    return {key: entry.get("value") for key, entry in document.items() if isinstance(entry, dict)}


def _unexpected(
    steps: Sequence[Mapping[str, Any]], config: Mapping[str, Any], environ: Mapping[str, str]
) -> list[Difference]:
    """Items each account holds that no resource of the stack declares or manages."""
    used = {
        found
        for step in steps
        for state in (step.get("oldState"), step.get("newState"))
        if state and (found := _adapter_of(str(state.get("type", "")))) is not None
    }
    rows: list[Difference] = []
    for name, adapter in registry.adapters().items():
        if name not in used:
            continue
        endpoint = resolve_endpoint(adapter.settings, config, environ)
        client = ApiClient(endpoint, adapter.dialect)
        try:
            section = adapter.export(client, lambda _count: None)
        finally:
            client.close()
        known = _known_names(steps, name)
        listed = Counter(_listed_names(section))
        for (kind, item), count in sorted(listed.items()):
            extra = count - known.get(item, 0)
            for _ in range(max(extra, 0)):
                rows.append(
                    Difference(f"{name} {kind} {item!r}", "(unexpected)", "-", "-", "present")
                )
    return rows


def check(project: Path, stack: str, environ: Mapping[str, str] | None = None) -> DriftReport:
    """Compare one stack's declaration, state and live accounts; writes nothing."""
    environ = dict(os.environ if environ is None else environ)
    if not (project / "Pulumi.yaml").exists() and not (project / "Pulumi.yml").exists():
        raise StagesError(f"{project} holds no Pulumi.yaml: pass the project folder with --cwd")
    pulumi = Pulumi(project, stack, environ)
    preview = pulumi.run_json("preview", "--refresh")
    steps = [s for s in preview.get("steps", []) if isinstance(s, dict)]
    report = DriftReport(stack)
    report.rows, report.checked = _declared_vs_live(steps)
    report.rows += _unexpected(steps, _stack_config(pulumi), environ)
    return report


HEADERS = ("resource", "field", "declared", "state", "live")


def _cells(row: Difference) -> tuple[str, str, str, str, str]:
    return (row.resource, row.field, row.declared, row.state, row.live)


def render_text(report: DriftReport) -> str:
    """A plain table for a terminal or a CI log."""
    if report.in_sync:
        return f"stack {report.stack}: in sync ({report.checked} resources checked, no drift)\n"
    table = [HEADERS, *(_cells(r) for r in report.rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    head = f"stack {report.stack}: drift in {len(report.rows)} places"
    head += f" ({report.checked} resources checked)"
    return "\n".join([head, "", *lines]) + "\n"


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport) -> str:
    """A Markdown table for a pull-request or issue comment."""
    if report.in_sync:
        return (
            f"### Drift check: stack `{report.stack}` is in sync\n\n"
            f"{report.checked} resources checked, no drift.\n"
        )
    lines = [
        f"### Drift check: stack `{report.stack}` has drifted ({len(report.rows)})",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
        *("| " + " | ".join(_md(c) for c in _cells(r)) + " |" for r in report.rows),
        "",
        "`pulumi up` restores the declaration; `pulumi refresh` records the account as it is.",
    ]
    return "\n".join(lines) + "\n"
