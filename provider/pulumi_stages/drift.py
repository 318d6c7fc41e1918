"""`pulumi-stages drift`: a read-only comparison of a stack's declaration, state and live accounts.

The engine does the comparing it already knows how to do: `pulumi preview --refresh
--run-program --json` runs the program first, so the providers read every managed stage with the
stack's current config (a token rotated since the last `up` included; a plain refresh would use
the config saved in state), and diffs the declaration against what the account holds, without
saving anything. What the engine cannot see, items in an account that no resource manages,
comes from each adapter's exporter (`drift_listing`). Nothing here names a CRM: adapters come
from the registry, and the kinds of resource from the types in the stack.

Nothing is written: no API write (the providers only read in a preview, the exporter only lists),
no state change (a preview never saves a checkpoint).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .core import registry
from .core.errors import StagesError
from .drift_listing import adapter_of, place_of, unexpected, where
from .drift_report import Difference, DriftReport, render_markdown, render_text

__all__ = ["Difference", "DriftReport", "PreviewRefused", "check", "render_markdown", "render_text"]

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's placeholder for a value only known after an `up` (an id to be created)."""

_HIDDEN_INPUTS = ("__",)

_adapter_of = adapter_of  # the name the report tests know


class PreviewRefused(StagesError):
    """The stack's preview stopped on an error of its own (a guard's refusal, a bad token): the
    engine's error lines, for the report."""

    def __init__(self, command: str, lines: list[str]) -> None:
        super().__init__(f"`{command}` was refused:\n" + "\n".join(lines))
        self.lines = lines


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
            refusal = _diagnosed_errors(done.stdout)
            if refusal:
                raise PreviewRefused(f"pulumi {' '.join(args)}", refusal)
            raise StagesError(
                f"`pulumi {' '.join(args)}` failed (exit {done.returncode}):\n"
                + (done.stderr or done.stdout).strip()
            )
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError as error:
            raise StagesError(f"`pulumi {' '.join(args)}` printed no JSON: {error}") from None


def _diagnosed_errors(stdout: str) -> list[str]:
    """The error lines of a failed engine run that printed its JSON document (the program ran
    and a provider or the engine refused); empty when it printed none (no such stack, say)."""
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError:
        return []
    if not isinstance(document, dict):
        return []
    return [
        line
        for d in document.get("diagnostics", [])
        if isinstance(d, dict) and d.get("severity") == "error"
        for line in str(d.get("message", "")).strip().splitlines()
        if line.strip()
    ]


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
        adapter_name = adapter_of(type_token)
        if adapter_name is None:
            continue
        managed.add(urn)
        if op == "refresh":
            continue
        name = _name_of(urn)
        old = (step.get("oldState") or {}).get("outputs") or {}
        new = (step.get("newState") or {}).get("inputs") or {}
        state = recorded.get(urn, {})
        adapter = registry.adapters()[adapter_name]
        at = where(adapter, place_of(adapter, type_token, new or old))
        if op in ("update", "replace", "create-replacement", "delete-replaced"):
            if op == "delete-replaced":
                continue
            for key in sorted(set(new) & set(old)):
                if key.startswith(_HIDDEN_INPUTS) or _has_unknown(new[key]):
                    continue
                if new[key] != old[key]:
                    rows.append(
                        Difference(
                            name,
                            key,
                            _shown(new[key]),
                            _shown(state.get(key)),
                            _shown(old[key]),
                            at,
                        )
                    )
        elif op == "create":
            was = "in state, gone from the account" if urn in recorded else "never applied"
            rows.append(Difference(name, "(missing)", _shown(new.get("name")), was, "missing", at))
        elif op == "delete":
            rows.append(
                Difference(
                    name,
                    "(not declared)",
                    "-",
                    _shown(state.get("name")),
                    _shown(old.get("name")),
                    at,
                )
            )
    return rows, len(managed)


def _stack_config(pulumi: Pulumi) -> dict[str, Any]:
    """The stack's config with secrets decrypted, kept in memory only (never printed)."""
    document = pulumi.run_json("config", "--show-secrets")
    return {key: entry.get("value") for key, entry in document.items() if isinstance(entry, dict)}


def check(
    project: Path,
    stack: str,
    environ: Mapping[str, str] | None = None,
    count_unmanaged: bool = False,
) -> DriftReport:
    """Compare one stack's declaration, state and live accounts; writes nothing. A preview the
    stack's own providers refuse is the report's refusal (exit 1), not an exception."""
    environ = dict(os.environ if environ is None else environ)
    if not (project / "Pulumi.yaml").exists() and not (project / "Pulumi.yml").exists():
        raise StagesError(f"{project} holds no Pulumi.yaml: pass the project folder with --cwd")
    pulumi = Pulumi(project, stack, environ)
    report = DriftReport(stack)
    try:
        preview = pulumi.run_json("preview", "--refresh", "--run-program")
    except PreviewRefused as refused:
        report.refused = refused.lines
        return report
    steps = [s for s in preview.get("steps", []) if isinstance(s, dict)]
    report.rows, report.checked = _declared_vs_live(steps)
    with _in_folder(project):  # the provider's memory is found from the project, as the plugin does
        extra, report.unmanaged = unexpected(steps, _stack_config(pulumi), environ, count_unmanaged)
    report.rows += extra
    return report


@contextlib.contextmanager
def _in_folder(folder: Path) -> Iterator[None]:
    """Run in `folder` (the plugin runs in the project folder: relative memory locations and the
    project's `backend.url` are read from there), then back."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)
