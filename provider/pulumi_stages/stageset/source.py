"""Reading a stage set from YAML or Python, with errors that name the file, line and field.

Validation problems come back as one line each, e.g.
`stages.yaml:14: capsule.boards[Sales].stages[2].name: must not be blank`, so a bad file fails
the preview before any resource is declared, let alone any API call made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pulumi import RunError
from pydantic import ValidationError
from yaml.constructor import ConstructorError, SafeConstructor

from ..core import registry
from ..core.errors import StagesError
from .spec import Location, StageSetBase, section_problems, stage_set_model
from .wording import worded

_STR_TAG = "tag:yaml.org,2002:str"
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
"""What YAML counts as a line break, so a line found here matches the parser's marks."""


class StageSetError(StagesError, RunError):
    """A stage set that cannot be declared: every problem, one line each (a RunError, so the
    engine prints the lines without a traceback)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _not_a_mapping(what: str) -> str:
    sections = " and/or ".join(f"{name}:" for name in registry.adapters())
    return f"{what} must be a mapping with {sections}"


def _as_in_loc(key: Any) -> Any:
    """A mapping key as pydantic puts it in an error's location (True is 1, None is 'None')."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool | int):
        return int(key)
    return str(key)


def _is_list(node: Any) -> bool:
    return isinstance(node, list | tuple)


def _key_in(node: Mapping[Any, Any], part: str | int) -> Any:
    """The key of `node` that pydantic reports as `part` (a str key when there are both)."""
    if isinstance(part, str) and part in node:
        return part
    found = [key for key in node if _as_in_loc(key) == part and type(_as_in_loc(key)) is type(part)]
    return found[-1] if found else part


def _child(node: Any, part: str | int) -> Any:
    if _is_list(node):
        return node[part] if isinstance(part, int) and 0 <= part < len(node) else None
    return node.get(_key_in(node, part)) if isinstance(node, Mapping) else None


def _shown_key(key: Any) -> str:
    """A key as written in a path: plain when it is printable text, else its repr."""
    return key if isinstance(key, str) and key.isprintable() and key else repr(key)


def _label(items: Sequence[Any], index: int) -> str | None:
    """A container's name, when it names it: valid, printable, free of brackets and unique."""
    item = items[index]
    name = item.get("name") if isinstance(item, Mapping) else None
    if not (isinstance(name, str) and name.strip() and len(name) <= 255 and name.isprintable()):
        return None
    if "[" in name or "]" in name:
        return None
    same = sum(1 for other in items if isinstance(other, Mapping) and other.get("name") == name)
    return name if same == 1 else None


def field_path(location: Location, data: Any) -> str:
    """`capsule.boards[Sales].stages[2].name`: an item of a list other than `stages` (a board, a
    pipeline: a container) is shown by its name when that name is valid and unique in its list;
    stages, and containers without such a name, by their index from 0."""
    text = ""
    node = data
    field: str | int | None = None
    for part in location:
        if _is_list(node) and isinstance(part, int):
            label = _label(node, part) if field != "stages" and part < len(node) else None
            text += f"[{label if label is not None else part}]"
        else:
            shown = _shown_key(_key_in(node, part) if isinstance(node, Mapping) else part)
            text += f".{shown}" if text else shown
        field = part
        node = _child(node, part)
    return text


def _yaml_key(node: yaml.Node) -> Any:
    """A mapping key node as pydantic reports it in a location."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.tag == _STR_TAG:
        return node.value
    return _as_in_loc(SafeConstructor().construct_object(node))


def line_of(root: yaml.Node | None, location: Location) -> int:
    """The 1-based line of the deepest node on `location` (its parent's when it is missing):
    for a mapping's entry the line of its key, since a list or block value starts on the line
    after it. A key given twice is found at its last occurrence, the one YAML keeps."""
    if root is None:
        return 1
    node, line = root, root.start_mark.line
    for part in location:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            found = [
                (key, value)
                for key, value in node.value
                if type(_yaml_key(key)) is type(part) and _yaml_key(key) == part
            ]
            if found:
                key, child = found[-1]
                line = key.start_mark.line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
            if child is not None:
                line = child.start_mark.line
        if child is None:
            break
        node = child
    return int(line) + 1


def _yaml_slips(node: yaml.Node | None, shown: str) -> list[tuple[int, str]]:
    """What YAML accepts but surely is a mistake: a key given twice (the last would silently
    win), and an empty `color:` (an unquoted `#5951ff` is a comment; `color: null` is meant)."""
    slips: list[tuple[int, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            line = key.start_mark.line + 1
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name is not None and name in seen:
                slips.append((line, f"{shown}:{line}: {name!r} appears twice in one mapping"))
            if name is not None:
                seen.add(name)
            if name == "color" and value.tag.endswith(":null") and not value.value:
                slips.append((line, f'{shown}:{line}: color is empty; quote it: color: "#5951ff"'))
            slips += _yaml_slips(value, shown)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            slips += _yaml_slips(item, shown)
    return slips


def problems_of(data: Any) -> tuple[StageSetBase | None, list[tuple[Location, str]]]:
    """The validated spec, or every problem with its location."""
    model = stage_set_model()
    try:
        spec = model.model_validate(data)
    except ValidationError as error:
        locations = [tuple(e["loc"]) for e in error.errors()]
        found = [
            (location, worded(model, location, e["type"], e["msg"]))
            for location, e in zip(locations, error.errors(), strict=True)
        ]
        return None, found + _repeats_besides(data, locations)
    return spec, section_problems(spec)


_A_NAME_TWICE = re.compile(r"duplicate [\w ]+? name ")
"""A repeat of a name (`core.sections.repeats`: "duplicate stage name 'Lead' ..."), not of a key
and not a retired entry's problem: a name is required, so none is ever left out."""


def _repeats_besides(data: Any, wrong: Sequence[Location]) -> list[tuple[Location, str]]:
    """The names declared twice in the rest of a set that has other problems, so that one run
    shows them all: each wrong key is left out and the rest is validated again. Only names are
    reported: with a key or a retired entry's field left out, their checks would judge what the
    file does not say. When the rest fails too (a required field is wrong or missing, an item is
    no mapping), none are reported; the next run shows them."""
    pruned = _without(data, {location for location in wrong if location})
    if pruned is None:
        return []
    try:
        spec = stage_set_model().model_validate(pruned)
    except ValidationError:
        return []
    return [found for found in section_problems(spec) if _A_NAME_TWICE.match(found[1])]


def _without(node: Any, wrong: set[Location]) -> Any:
    """`node` less the mapping keys at `wrong` (new mappings and lists over the same values);
    None if a location cannot be left out: a list's item (the rest would move) or a path the
    data does not have."""
    if not wrong:
        return node
    if isinstance(node, Mapping):
        keys = {_as_in_loc(key): key for key in node}
        if any(location[0] not in keys for location in wrong):
            return None
        kept: dict[Any, Any] = {}
        for shown, key in keys.items():
            inner = {location[1:] for location in wrong if location[0] == shown}
            if () in inner:
                continue
            kept[key] = _without(node[key], inner)
            if inner and kept[key] is None:
                return None
        return kept
    if _is_list(node) and all(len(loc) > 1 and loc[0] in range(len(node)) for loc in wrong):
        items: list[Any] = []
        for index, item in enumerate(node):
            inner = {location[1:] for location in wrong if location[0] == index}
            items.append(_without(item, inner))
            if inner and items[-1] is None:
                return None
        return items
    return None


def _line_at(text: str, index: int) -> int:
    """The 1-based line of the character at `index`, counted as YAML counts lines."""
    return len(_LINE_BREAK.findall(text, 0, index)) + 1


def load_file(path: str | Path) -> StageSetBase:
    """Parse and validate a `stages.yaml`; raise StageSetError naming file, line and field."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise StageSetError([f"{path}: cannot read the stage set: {error.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8")
        line = _line_at(before, len(before))
        raise StageSetError([f"{path.name}:{line}: not UTF-8 text ({error.reason})"]) from None
    # Newlines as Path.read_text reads them, so lines count the same as in an editor.
    return load_text(text.replace("\r\n", "\n").replace("\r", "\n"), path.name)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with a value it cannot build (February 30th, an integer of
    thousands of digits) refused at its node's line, where PyYAML raises a bare ValueError."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except ValueError as error:
            value = str(node.value) if isinstance(node, yaml.ScalarNode) else node.tag
            shown = value if len(value) <= 40 else f"{value[:37]}..."
            problem = f"cannot read {shown!r} ({str(error).split(';')[0]})"
            raise ConstructorError(None, None, problem, node.start_mark) from None


def _parse(text: str, shown: str) -> tuple[yaml.Node | None, Any, list[tuple[int, str]]]:
    """The document's node tree (for lines), its data, and the slips; one parse."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, such as NUL
        line = _line_at(text, error.position)
        problem = str(error).split("\n")[0]
        raise StageSetError([f"{shown}:{line}: not valid YAML: {problem}"]) from None
    try:
        root = loader.get_single_node()
        slips = _yaml_slips(root, shown)  # before construction, which flattens `<<` merges
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        raise StageSetError([_syntax_error(error, shown)]) from None
    except yaml.YAMLError as error:
        line = loader.get_mark().line + 1
        problem = str(error).split("\n")[0]
        raise StageSetError([f"{shown}:{line}: not valid YAML: {problem}"]) from None
    except RecursionError:
        line = loader.get_mark().line + 1
        raise StageSetError([f"{shown}:{line}: not valid YAML: nested too deeply"]) from None
    finally:
        loader.dispose()
    return root, data, slips


def _syntax_error(error: yaml.MarkedYAMLError, shown: str) -> str:
    """Where the parser stopped, and where what it was reading began when that is elsewhere
    (an unclosed quote or bracket is only noticed at the end of the file)."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else 1
    text = f"{shown}:{line}: not valid YAML: {error.problem or error.context}"
    start = error.context_mark
    if error.problem and error.context and start is not None and start.line + 1 != line:
        text += f" ({error.context} on line {start.line + 1})"
    return text


def load_text(text: str, shown: str) -> StageSetBase:
    """Parse and validate the text of a `stages.yaml` called `shown` in messages."""
    root, data, slips = _parse(text, shown)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise StageSetError([f"{shown}:1: {_not_a_mapping('the file')}"])
    spec, problems = problems_of(data)
    located = [(line_of(root, loc), loc, msg) for loc, msg in problems]
    lines = slips + [
        (line, f"{shown}:{line}: {_with_path(loc, data, msg)}") for line, loc, msg in located
    ]
    if lines:
        raise StageSetError([text for _, text in sorted(lines, key=lambda found: found[0])])
    assert spec is not None
    return spec


def _with_path(location: Location, data: Any, message: str) -> str:
    path = field_path(location, data)
    return f"{path}: {message}" if path else message


def load_value(data: StageSetBase | Mapping[str, Any], label: str) -> StageSetBase:
    """Validate a stage set given in Python; problems name `label` and the field."""
    spec: StageSetBase | None
    if isinstance(data, StageSetBase):
        spec, problems = data, section_problems(data)
    elif isinstance(data, Mapping):
        spec, problems = problems_of(data)
    else:
        raise StageSetError([f"{label}: {_not_a_mapping('the stage set')}"])
    shown = spec.model_dump() if spec is not None else data  # plain data, even from models
    if problems:
        raise StageSetError([f"{label}: {_with_path(loc, shown, msg)}" for loc, msg in problems])
    assert spec is not None
    return spec
