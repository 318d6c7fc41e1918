"""What `pulumi-stages drift` found for one stack, and its two renderings: a plain table for a
log, and Markdown for a pull-request or issue comment in which text from the account is inert
(every cell is a code span, so a stage named like a link, a mention or HTML stays text)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .core.plurals import counting


@dataclass(frozen=True)
class Difference:
    """One row of the report: a field whose declared, recorded or live values differ, and the
    container (board, pipeline) of the item it is about ("" where the account is the container)."""

    resource: str
    field: str
    declared: str
    state: str
    live: str
    where: str = ""


@dataclass(frozen=True)
class Unmanaged:
    """A container (board, pipeline) in an account that the stack does not declare."""

    what: str
    stages: int


@dataclass
class DriftReport:
    """What `drift` found for one stack: drift rows, containers nobody declared (information
    unless counted), or the refusal that stopped the stack's preview."""

    stack: str
    rows: list[Difference] = field(default_factory=list)
    checked: int = 0
    unmanaged: list[Unmanaged] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        """True when declaration, state and accounts agree (and the preview ran)."""
        return not self.rows and not self.refused

    @property
    def exit_code(self) -> int:
        """0 in sync, 2 on drift, 1 when the preview was refused (nothing could be compared)."""
        if self.refused:
            return 1
        return 2 if self.rows else 0


HEADERS = ("resource", "where", "field", "declared", "state", "live")


def _cells(row: Difference) -> tuple[str, ...]:
    return (row.resource, row.where or "-", row.field, row.declared, row.state, row.live)


def _unmanaged_line(item: Unmanaged) -> str:
    return f"{item.what} ({counting(item.stages, 'stage')})"


UNMANAGED_NOTE = "not managed by this stack (information: --count-unmanaged makes them drift)"


def render_text(report: DriftReport) -> str:
    """A plain table for a terminal or a CI log."""
    if report.refused:
        lines = [f"stack {report.stack}: the preview was refused, so drift was not checked", ""]
        return "\n".join([*lines, *report.refused]) + "\n"
    checked = counting(report.checked, "resource")
    notes = [UNMANAGED_NOTE + ":", *(f"  {_unmanaged_line(u)}" for u in report.unmanaged)]
    notes = ["", *notes] if report.unmanaged else []
    if report.in_sync:
        head = f"stack {report.stack}: in sync ({checked} checked, no drift)"
        return "\n".join([head, *notes]) + "\n"
    table = [HEADERS, *(_cells(r) for r in report.rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    head = (
        f"stack {report.stack}: drift in {counting(len(report.rows), 'place')} ({checked} checked)"
    )
    return "\n".join([head, "", *lines, *notes]) + "\n"


def code(text: str) -> str:
    """Text as an inline code span that Markdown renders literally: no link, mention, emphasis
    or HTML; a fence longer than any backtick run inside."""
    flat = " ".join(text.split("\n"))
    if not flat:
        return ""
    runs = [len(run) for run in re.findall(r"`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") else flat
    return f"{fence}{padded}{fence}"


def _cell(text: str) -> str:
    """A table cell: a code span whose pipes are escaped (GFM splits cells before code spans)."""
    return code(text).replace("|", "\\|")


def _block(lines: list[str]) -> list[str]:
    """Lines as a fenced code block whose fence no line can close."""
    runs = [len(run) for line in lines for run in re.findall(r"`{3,}", line)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return [fence + "text", *lines, fence]


def render_markdown(report: DriftReport) -> str:
    """A Markdown report for a pull-request or issue comment; account text only as code."""
    stack = code(report.stack)
    if report.refused:
        return (
            "\n".join(
                [
                    f"### Drift check: stack {stack}: the preview was refused",
                    "",
                    "The stack's preview stopped before drift could be checked:",
                    "",
                    *_block(report.refused),
                ]
            )
            + "\n"
        )
    notes = [f"{UNMANAGED_NOTE}:", "", *(f"- {code(_unmanaged_line(u))}" for u in report.unmanaged)]
    notes = ["", *notes] if report.unmanaged else []
    checked = counting(report.checked, "resource")
    if report.in_sync:
        lines = [f"### Drift check: stack {stack} is in sync", "", f"{checked} checked, no drift."]
        return "\n".join([*lines, *notes]) + "\n"
    lines = [
        f"### Drift check: stack {stack} has drifted ({counting(len(report.rows), 'place')})",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
        *("| " + " | ".join(_cell(c) for c in _cells(r)) + " |" for r in report.rows),
        "",
        "`pulumi up` restores the declaration; `pulumi refresh --run-program` records the account "
        "as it is.",
        *notes,
    ]
    return "\n".join(lines) + "\n"
