"""Reading a stage set from YAML or Python, with errors that name the file, line and field.

Validation problems come back as one line each, e.g.
`stages.yaml:14: capsule.boards[Sales].stages[2].name: must not be blank`, so a bad file fails
the preview before any resource is declared, let alone any API call made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pulumi import RunError
from pydantic import ValidationError

from ..core import registry
from ..core.errors import StagesError
from .spec import Location, StageSetBase, duplicates, stage_set_model


class StageSetError(StagesError, RunError):
    """A stage set that cannot be declared: every problem, one line each (a RunError, so the
    engine prints the lines without a traceback)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def field_path(location: Location, data: Any) -> str:
    """`capsule.boards[Sales].stages[2].name`: a container (an item that holds `stages`, such
    as a board or a pipeline) is shown by its name where the data names it."""
    text = ""
    node = data
    for part in location:
        if isinstance(part, int):
            item = _child(node, part)
            named = isinstance(item, Mapping) and "stages" in item
            label = item.get("name") if named and isinstance(item, Mapping) else None
            text += f"[{label}]" if isinstance(label, str) and label.strip() else f"[{part}]"
        else:
            text += f".{part}" if text else part
        node = _child(node, part)
    return text


def _child(node: Any, part: str | int) -> Any:
    if isinstance(part, int):
        return node[part] if isinstance(node, list) and part < len(node) else None
    return node.get(part) if isinstance(node, Mapping) else None


def line_of(root: yaml.Node | None, location: Location) -> int:
    """The 1-based line of the deepest node on `location` (its parent's when it is missing)."""
    if root is None:
        return 1
    node = root
    for part in location:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1


def _yaml_slips(node: yaml.Node | None, shown: str) -> list[str]:
    """What YAML accepts but surely is a mistake: a key given twice (the last would silently
    win), and an empty `color:` (an unquoted `#5951ff` is a comment)."""
    slips: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.value in seen:
                slips.append(f"{shown}:{line}: {key.value!r} appears twice in one mapping")
            seen.add(key.value)
            if key.value == "color" and value.tag.endswith(":null"):
                slips.append(f'{shown}:{line}: color is empty; quote it: color: "#5951ff"')
            slips += _yaml_slips(value, shown)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            slips += _yaml_slips(item, shown)
    return slips


def problems_of(data: Any) -> tuple[StageSetBase | None, list[tuple[Location, str]]]:
    """The validated spec, or every problem with its location."""
    try:
        spec = stage_set_model().model_validate(data)
    except ValidationError as error:
        found = [(tuple(e["loc"]), e["msg"]) for e in error.errors()]
        return None, found
    return spec, duplicates(spec)


def load_file(path: str | Path) -> StageSetBase:
    """Parse and validate a `stages.yaml`; raise StageSetError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StageSetError([f"{path}: cannot read the stage set: {error.strerror}"]) from None
    except UnicodeDecodeError as error:
        raise StageSetError([f"{path}: not UTF-8 text ({error.reason})"]) from None
    return load_text(text, path.name)


def load_text(text: str, shown: str) -> StageSetBase:
    """Parse and validate the text of a `stages.yaml` called `shown` in messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise StageSetError([f"{shown}:{line}: not valid YAML: {error.problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        sections = " and/or ".join(f"{name}:" for name in registry.adapters())
        raise StageSetError([f"{shown}:1: the file must be a mapping with {sections}"])
    lines = _yaml_slips(root, shown)
    spec, problems = problems_of(data)
    located = sorted(((line_of(root, loc), loc, msg) for loc, msg in problems), key=lambda p: p[0])
    lines += [f"{shown}:{line}: {field_path(loc, data)}: {msg}" for line, loc, msg in located]
    if lines:
        raise StageSetError(lines)
    assert spec is not None
    return spec


def load_value(data: StageSetBase | Mapping[str, Any], label: str) -> StageSetBase:
    """Validate a stage set given in Python; problems name `label` and the field."""
    raw: Mapping[str, Any]
    spec: StageSetBase | None
    if isinstance(data, StageSetBase):
        spec, problems, raw = data, duplicates(data), data.model_dump()
    else:
        (spec, problems), raw = problems_of(data), data
    if problems:
        raise StageSetError([f"{label}: {field_path(loc, raw)}: {msg}" for loc, msg in problems])
    assert spec is not None
    return spec
