"""Generated invalid stage sets, as YAML files and as Python dicts: every one is refused with a
StageSetError (no traceback) whose every line names the file and line (YAML) or the StageSet
(Python), one line names the broken field as the messages do (`capsule.boards[Sales].stages[1].
name`) at the line where it sits, and no network request is made while checking.

Each case starts from a valid stage set (Outreach stages; Capsule boards with stages) and makes
exactly one mutation whose place is known. The examples are derandomized, so CI runs the same
cases every time; STAGES_INVALID_EXAMPLES sets how many in all (10,000 by default), split evenly
between the tests below.
"""

from __future__ import annotations

import copy
import os
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi import RunError
from yaml.constructor import SafeConstructor

from pulumi_stages.capsule.section import CapsuleBoardSpec, CapsuleSection, CapsuleStageSpec
from pulumi_stages.core import registry
from pulumi_stages.outreach.section import OutreachSection, OutreachStageSpec
from pulumi_stages.stageset import StageSetError, load_file, load_text
from pulumi_stages.stageset.source import load_value

Path_ = tuple[Any, ...]
"""Where a value sits in the data: keys and list indexes, e.g. ("capsule", "boards", 0)."""

LABEL = "StageSet 'x'"
SHOWN = "stages.yaml"
BLANKS = ["", " ", "  ", "\t", "\n", " \r\n ", "\u3000", "\xa0", "\u2003 \u2003"]
NOT_TEXT: list[Any] = [0, 7, -1, 2.5, True, False, None, [], ["Lead"], {}, {"name": "Lead"}]
NOT_TEXTS = st.sampled_from(NOT_TEXT).map(copy.deepcopy)
NOT_NONE_TEXTS = st.sampled_from([x for x in NOT_TEXT if x is not None]).map(copy.deepcopy)
FOREIGN_SECTIONS = st.sampled_from(("hubspot", "pipedrive", "stages", "boards", "board", "name"))

# What each kind of mapping in a stage set may hold (its model's fields).
FIELDS: dict[str, frozenset[str]] = {
    "outreach": frozenset(OutreachSection.model_fields),
    "capsule": frozenset(CapsuleSection.model_fields),
    "outreach_stage": frozenset(OutreachStageSpec.model_fields),
    "capsule_stage": frozenset(CapsuleStageSpec.model_fields),
    "board": frozenset(CapsuleBoardSpec.model_fields),
}


# ---------------------------------------------------------------- no network while validating


@dataclass
class Network:
    """Every attempt to reach the network made while the guard is on."""

    attempts: list[str] = field(default_factory=list)

    def refuse(self, what: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            self.attempts.append(f"{what}{args[1:2]}")
            raise AssertionError(f"network request while validating: {what}")

        return refused


@pytest.fixture(scope="module", autouse=True)
def network() -> Iterator[Network]:
    """Connecting a socket, resolving a name or sending through httpx fails the test."""
    guard = Network()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guard.refuse("socket.connect"))
        patch.setattr(socket.socket, "connect_ex", guard.refuse("socket.connect_ex"))
        patch.setattr(socket, "getaddrinfo", guard.refuse("socket.getaddrinfo"))
        patch.setattr(httpx.Client, "send", guard.refuse("httpx.Client.send"))
        patch.setattr(httpx.AsyncClient, "send", guard.refuse("httpx.AsyncClient.send"))
        yield guard


def test_the_network_guard_catches_a_request(network: Network) -> None:
    before = len(network.attempts)
    with pytest.raises(AssertionError, match="network request"), httpx.Client() as client:
        client.get("http://127.0.0.1:9/stages")
    with pytest.raises(AssertionError, match="network request"):
        socket.create_connection(("127.0.0.1", 9))
    assert len(network.attempts) > before
    del network.attempts[before:]


# ---------------------------------------------------------------- valid stage sets

COMMON_NAMES = ("Lead", "Won", "Lost", "Proposal", "Sales", "Closed Won", "Brief", "Done")
names = st.one_of(
    st.sampled_from(COMMON_NAMES),
    st.text(min_size=1, max_size=8),
    st.text(min_size=1, max_size=3).map(lambda seed: (seed * 255)[:255]),  # the longest
).filter(lambda name: bool(name.strip()))
keys = st.one_of(st.sampled_from(("Won", "lead", "k1")), st.text(min_size=1, max_size=6)).filter(
    lambda key: bool(key.strip())
)  # a key follows a name's rules
colors = st.text("0123456789abcdefABCDEF", min_size=6, max_size=6).map("#".__add__)
texts = st.one_of(st.none(), st.text(max_size=10))
maybe_colors = st.one_of(st.none(), colors)


FLAGS = st.integers(0, 7)


def identity(stage: dict[str, Any]) -> str:
    return str(stage.get("key") or stage["name"])


@st.composite
def stage(draw: st.DrawFn, crm: str) -> dict[str, Any]:
    has = draw(FLAGS)  # one draw for which optional fields are there: cheaper than three
    item: dict[str, Any] = {"name": draw(names)}
    if has & 1:
        item["key"] = draw(keys)
    if has & 2 and crm == "outreach":
        item["color"] = draw(maybe_colors)
    if has & 2 and crm == "capsule":
        item["description"] = draw(texts)
    if has & 4:  # key order does not matter
        item = dict(reversed(list(item.items())))
    return item


STAGE_LISTS = {
    crm: st.lists(stage(crm), max_size=4, unique_by=(lambda s: s["name"], identity))
    for crm in ("outreach", "capsule")
}


@st.composite
def board(draw: st.DrawFn) -> dict[str, Any]:
    has = draw(FLAGS)
    item: dict[str, Any] = {"name": draw(names)}
    if has & 1:
        item["description"] = draw(texts)
    if has & 6:
        item["stages"] = draw(STAGE_LISTS["capsule"])
    return item


BOARD_LISTS = st.lists(board(), max_size=2, unique_by=lambda b: b["name"])


SECTION_CHOICES = st.sampled_from(
    (("outreach",), ("capsule",), ("outreach", "capsule"), ("capsule", "outreach"))
)


@st.composite
def stage_sets(draw: st.DrawFn) -> dict[str, Any]:
    """A valid stage set with one or both sections."""
    crms = draw(SECTION_CHOICES)
    found: dict[str, Any] = {}
    for crm in crms:
        section: dict[str, Any] = {}
        found[crm] = section
        has = draw(FLAGS)
        if has & 1:
            section["adopt"] = bool(has & 2)
        if crm == "outreach":
            section["stages"] = draw(STAGE_LISTS["outreach"])
        else:
            section["boards"] = draw(BOARD_LISTS)
    return found


STAGE_SETS = stage_sets()


# ---------------------------------------------------------------- places in a stage set


def get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def put(data: Any, path: Path_, value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def rename_key(data: Any, path: Path_, new: Any) -> None:
    """Rename the key at `path`, keeping its place among its siblings."""
    parent = get(data, path[:-1])
    items = [(new if key == path[-1] else key, value) for key, value in parent.items()]
    parent.clear()
    parent.update(items)


def mappings(data: dict[str, Any]) -> list[tuple[Path_, str]]:
    """Every mapping below the root with its kind (a key of FIELDS)."""
    found: list[tuple[Path_, str]] = []
    if "outreach" in data:
        found.append((("outreach",), "outreach"))
        stages = data["outreach"]["stages"]
        found += [(("outreach", "stages", i), "outreach_stage") for i in range(len(stages))]
    if "capsule" in data:
        found.append((("capsule",), "capsule"))
        for b, item in enumerate(data["capsule"]["boards"]):
            found.append((("capsule", "boards", b), "board"))
            at = ("capsule", "boards", b, "stages")
            found += [((*at, i), "capsule_stage") for i in range(len(item.get("stages", [])))]
    return found


def lists(data: dict[str, Any]) -> list[Path_]:
    """Every list of stages or boards."""
    found: list[Path_] = []
    if "outreach" in data:
        found.append(("outreach", "stages"))
    if "capsule" in data:
        found.append(("capsule", "boards"))
        boards = data["capsule"]["boards"]
        found += [
            ("capsule", "boards", b, "stages") for b, item in enumerate(boards) if "stages" in item
        ]
    return found


def add_outreach_stage(draw: st.DrawFn, data: dict[str, Any]) -> Path_:
    """Make sure there is an Outreach stage; the path of one."""
    stages = data.setdefault("outreach", {"stages": []})["stages"]
    if not stages:
        stages.append({"name": "Lead"})
    return ("outreach", "stages", draw(st.integers(0, len(stages) - 1)))


def add_board(draw: st.DrawFn, data: dict[str, Any]) -> Path_:
    boards = data.setdefault("capsule", {"boards": []})["boards"]
    if not boards:
        boards.append({"name": "Sales", "stages": [{"name": "Brief"}]})
    return ("capsule", "boards", draw(st.integers(0, len(boards) - 1)))


def some_stage(draw: st.DrawFn, data: dict[str, Any]) -> Path_:
    stages = [path for path, kind in mappings(data) if kind.endswith("_stage")]
    return draw(st.sampled_from(stages)) if stages else add_outreach_stage(draw, data)


def name_sites(draw: st.DrawFn, data: dict[str, Any]) -> Path_:
    found = [(*path, "name") for path, kind in mappings(data) if kind.endswith(("stage", "board"))]
    return draw(st.sampled_from(found)) if found else (*add_outreach_stage(draw, data), "name")


# ---------------------------------------------------------------- one mutation each


@dataclass
class Case:
    """An invalid stage set and where it is broken."""

    data: Any
    path: Path_
    """The broken value's place, or () when the whole declaration is the wrong shape."""


Mutation = Callable[[st.DrawFn, dict[str, Any]], Case]


LETTERS = st.sampled_from("abcdefghijklmnopqrstuvwxyz_- ")


def misspell(draw: st.DrawFn, word: str) -> str:
    """A misspelling of `word`: a letter dropped, doubled, swapped, changed or added, cased."""
    i = draw(st.integers(0, len(word) - 1))
    letter = draw(LETTERS)
    how = draw(st.integers(0, 10))
    return [
        word[:i] + word[i + 1 :],
        word[:i] + word[i] + word[i:],
        word[:i] + word[i + 1 : i + 2] + word[i : i + 1] + word[i + 2 :],
        word[:i] + letter + word[i + 1 :],
        word[:i] + letter + word[i:],
        word.capitalize(),
        word.upper(),
        word + "s",
        word.rstrip("s"),
        word + ":",
        " " + word,
    ][how]


OTHER_KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(("colour", "title", "id", "order", "position", "stage", "stages", "board")),
    st.sampled_from((0, 1, 2.5, None, True)),
)


def unknown_key_of(draw: st.DrawFn, fields: frozenset[str], taken: set[Any]) -> Any:
    """A key the model does not have (mostly a typo of one of its fields), not in `taken`."""
    if draw(st.integers(0, 2)):
        key: Any = misspell(draw, draw(st.sampled_from(sorted(fields))))
    else:
        key = draw(OTHER_KEYS)
    while key in fields or key in taken:
        key = f"{key}_"
    return key


def name_blank(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = name_sites(draw, data)
    put(data, at, draw(st.sampled_from(BLANKS)))
    return Case(data, at)


def name_type(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = name_sites(draw, data)
    put(data, at, draw(NOT_TEXTS))
    return Case(data, at)


LONG_SEEDS = st.text(min_size=1, max_size=3).filter(lambda seed: bool(seed.strip()))


def name_long(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = name_sites(draw, data)
    put(data, at, (draw(LONG_SEEDS) * 300)[: draw(st.integers(256, 300))])
    return Case(data, at)


HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
BAD_COLORS = st.one_of(
    st.sampled_from(("red", "#12345", "#1234567", "5951ff", "#gggggg", "# 5951f", "#5951ff;")),
    st.sampled_from(("#5951ff\n", "#5951FF ", " #5951ff", "#5951ff\n\n", "", " ")),
    colors.map(lambda c: c + "\n"),
    colors.map(lambda c: c[:-1]),
    st.text(max_size=9),
).filter(lambda text: not HEX_COLOR.fullmatch(text))


def color_format(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = (*add_outreach_stage(draw, data), "color")
    put(data, at, draw(BAD_COLORS))
    return Case(data, at)


def color_type(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = (*add_outreach_stage(draw, data), "color")
    put(data, at, draw(NOT_NONE_TEXTS))
    return Case(data, at)


def text_type(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    """A stage's `key`, or a Capsule stage's or board's `description`, that is not text."""
    stage_at = some_stage(draw, data)
    choices = [(*stage_at, "key")]
    if stage_at[0] == "capsule":
        choices += [(*stage_at, "description"), (*stage_at[:3], "description")]
    at = draw(st.sampled_from(choices))
    put(data, at, draw(NOT_NONE_TEXTS))
    return Case(data, at)


EXTRA_VALUES = st.one_of(st.sampled_from(("Lead", "#5951ff", True, 3)), texts)


def unknown_key(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    """A key the model does not have, added, or put in place of one it has (a typo)."""
    at, kind = draw(st.sampled_from(mappings(data)))
    mapping = get(data, at)
    new = unknown_key_of(draw, FIELDS[kind], set(mapping))
    if mapping and draw(st.booleans()):
        rename_key(data, (*at, draw(st.sampled_from(sorted(mapping)))), new)
    else:
        mapping[new] = draw(EXTRA_VALUES)
    return Case(data, (*at, new))


def section_name(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    """A section under a name no adapter has: a typo, or another CRM."""
    crm = draw(st.sampled_from(sorted(data)))
    new = misspell(draw, crm) if draw(st.booleans()) else draw(FOREIGN_SECTIONS)
    while new in registry.adapters() or new in data:
        new = f"{new}_"
    rename_key(data, (crm,), new)
    return Case(data, (new,))


def list_as_mapping(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = draw(st.sampled_from(lists(data)))
    items = get(data, at)
    mapping = {str(i): item for i, item in enumerate(items)} or draw(
        st.sampled_from([{}, {"name": "Lead"}])
    )
    if items and draw(st.booleans()):
        mapping = items[0]  # `stages:` then `name: Lead` without the dash
    put(data, at, mapping)
    return Case(data, at)


LIST_SCALARS = st.sampled_from(("Lead", "Lead, Won", "", 0, 3, 1.5, True, False))


def list_as_scalar(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = draw(st.sampled_from(lists(data)))
    put(data, at, draw(LIST_SCALARS))
    return Case(data, at)


def null_list(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at = draw(st.sampled_from(lists(data)))
    put(data, at, None)
    return Case(data, at)


def mapping_as_list(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    at, _ = draw(st.sampled_from(mappings(data)))
    value = get(data, at)
    put(data, at, draw(st.sampled_from([[], list(value.values()), [value], list(value)])))
    return Case(data, at)


def mapping_as_scalar(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    """A scalar section, stage or board (`- Lead` for `- name: Lead`)."""
    at, kind = draw(st.sampled_from(mappings(data)))
    scalars = ["Lead", "", 0, 7, 1.5, True, False]
    put(data, at, draw(st.sampled_from(scalars if kind in data else [*scalars, None])))
    return Case(data, at)


NOT_FLAGS = st.one_of(
    st.sampled_from(("true", "yes", "no", "on", "", 0, 1, 2, 1.0)),
    st.sampled_from(([], [True], {}, {"adopt": True})).map(copy.deepcopy),
    st.text(max_size=5),
)


def adopt_type(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    crm = draw(st.sampled_from(sorted(data)))
    data[crm]["adopt"] = draw(NOT_FLAGS)
    return Case(data, (crm, "adopt"))


def duplicate_name(draw: st.DrawFn, data: dict[str, Any], at: Path_) -> Case:
    """A later item of the list at `at` takes an earlier one's name."""
    items = get(data, at)
    first = draw(st.integers(0, len(items) - 1))
    copy_at = draw(st.integers(first + 1, len(items)))
    if copy_at == len(items):
        items.append({"name": items[first]["name"]})
    else:
        items[copy_at]["name"] = items[first]["name"]
    return Case(data, (*at, copy_at, "name"))


def duplicate_stage_name(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    stage_at = some_stage(draw, data)
    return duplicate_name(draw, data, stage_at[:-1])


def duplicate_stage_key(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    """A later stage's key is an earlier stage's key (or name, when it has none)."""
    stage_at = some_stage(draw, data)
    stages = get(data, stage_at[:-1])
    first = draw(st.integers(0, len(stages) - 1))
    copy_at = draw(st.integers(first + 1, len(stages)))
    if copy_at == len(stages):
        name = draw(names)
        while name in {s["name"] for s in stages}:
            name += "_"
        stages.append({"name": name})
    stages[copy_at]["key"] = identity(stages[first])
    return Case(data, (*stage_at[:-1], copy_at, "key"))


def duplicate_board_name(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    add_board(draw, data)
    return duplicate_name(draw, data, ("capsule", "boards"))


def root_not_mapping(draw: st.DrawFn, data: dict[str, Any]) -> Case:
    shapes: list[Any] = [[data], list(data), list(data.values()), "outreach", 0, True]
    return Case(draw(st.sampled_from(shapes)), ())


MUTATIONS: dict[str, Mutation] = {
    "name_blank": name_blank,
    "name_type": name_type,
    "name_long": name_long,
    "color_format": color_format,
    "color_type": color_type,
    "text_type": text_type,
    "unknown_key": unknown_key,
    "section_name": section_name,
    "list_as_mapping": list_as_mapping,
    "list_as_scalar": list_as_scalar,
    "null_list": null_list,
    "mapping_as_list": mapping_as_list,
    "mapping_as_scalar": mapping_as_scalar,
    "adopt_type": adopt_type,
    "duplicate_stage_name": duplicate_stage_name,
    "duplicate_stage_key": duplicate_stage_key,
    "duplicate_board_name": duplicate_board_name,
    "root_not_mapping": root_not_mapping,
}


@st.composite
def invalid(draw: st.DrawFn, kind: str) -> Case:
    return MUTATIONS[kind](draw, draw(STAGE_SETS))


# ---------------------------------------------------------------- what the messages must say


def is_container_list(path: Path_) -> bool:
    """Items of a list other than `stages` (boards) are shown by name."""
    return not path or path[-1] != "stages"


def shown_label(items: list[Any], index: int) -> str:
    """A container by its name when that is valid, printable, bracket-free and unique."""
    name = items[index].get("name") if isinstance(items[index], dict) else None
    valid = isinstance(name, str) and name.strip() and len(name) <= 255 and name.isprintable()
    same = sum(1 for item in items if isinstance(item, dict) and item.get("name") == name)
    if valid and not {"[", "]"} & set(str(name)) and same == 1:
        return str(name)
    return str(index)


def field_path(data: Any, path: Path_) -> str:
    """The broken field as the messages name it: `capsule.boards[Sales].stages[1].name`."""
    text = ""
    for i, part in enumerate(path):
        node = get(data, path[:i])
        if isinstance(node, list):
            label = shown_label(node, part) if is_container_list(path[:i]) else str(part)
            text += f"[{label}]"
        else:
            shown = part if isinstance(part, str) and part and part.isprintable() else repr(part)
            text += f".{shown}" if text else shown
    return text


def refused(load: Callable[[], Any], network: Network) -> list[str]:
    """The problems of a declaration that must be refused, checking how it was refused."""
    before = len(network.attempts)
    with pytest.raises(StageSetError) as caught:
        load()
    error = caught.value
    assert isinstance(error, RunError)  # the engine prints it without a traceback
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert network.attempts[before:] == []
    assert error.problems and str(error) == "\n".join(error.problems)
    return error.problems


FAST_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump(data: Any, unicode: bool) -> str:
    """The YAML a person might write (libyaml's emitter when there is one: 10 times faster)."""
    return yaml.dump(data, Dumper=FAST_DUMPER, sort_keys=False, allow_unicode=unicode, width=10**9)


def node_key(node: yaml.Node) -> Any:
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    return SafeConstructor().construct_object(node)


def lines_of(text: str, path: Path_) -> set[int]:
    """The 1-based line that names `path` in the rendered text: a mapping entry's key (its value
    may start on the next line), a sequence item's own start."""
    node = yaml.compose(text, Loader=FAST_LOADER)  # another parser than the one under test
    found = {1}
    for part in path:
        if isinstance(node, yaml.SequenceNode):
            node = node.value[part]
            found = {node.start_mark.line + 1}
        else:
            assert isinstance(node, yaml.MappingNode)
            key, node = next(
                (k, v)
                for k, v in node.value
                if node_key(k) == part and type(node_key(k)) is type(part)
            )
            found = {key.start_mark.line + 1}
    return found


YAML_LINE = re.compile(r"stages\.yaml:(\d+): ")


def check_python(case: Case, network: Network) -> None:
    problems = refused(lambda: load_value(case.data, LABEL), network)
    assert all(line.startswith(f"{LABEL}: ") for line in problems), problems
    if case.path:
        wanted = f"{LABEL}: {field_path(case.data, case.path)}: "
        assert any(line.startswith(wanted) for line in problems), (wanted, problems)
    else:
        assert problems == [f"{LABEL}: the stage set must be a mapping with {sections()}"]


def check_yaml(case: Case, text: str, network: Network) -> None:
    problems = refused(lambda: load_text(text, SHOWN), network)
    assert all(YAML_LINE.match(line) for line in problems), problems
    if case.path:
        path = field_path(case.data, case.path)
        wanted = {f"{SHOWN}:{line}: {path}: " for line in lines_of(text, case.path)}
        assert any(line.startswith(tuple(wanted)) for line in problems), (wanted, problems)
    else:
        assert problems == [f"{SHOWN}:1: the file must be a mapping with {sections()}"]


def sections() -> str:
    return " and/or ".join(f"{name}:" for name in registry.adapters())


# ---------------------------------------------------------------- the tests

TOTAL = int(os.environ.get("STAGES_INVALID_EXAMPLES", "10000"))
YAML_ONLY = ["empty_color", "repeated_key", "tab_indent", "bad_syntax", "bad_character"]
BYTES_ONLY = ["not_utf8"]
TESTS = 2 * len(MUTATIONS) + len(YAML_ONLY) + len(BYTES_ONLY)
EACH = settings(
    max_examples=max(1, -(-TOTAL // TESTS)),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(EACH, max_examples=max(1, TOTAL // TESTS // 2))
@given(data=STAGE_SETS, unicode=st.booleans())
def test_the_generated_stage_sets_are_valid_before_the_mutation(
    data: dict[str, Any], unicode: bool
) -> None:
    spec = load_value(copy.deepcopy(data), LABEL)
    assert load_text(dump(data, unicode), SHOWN) == spec


@pytest.mark.parametrize("kind", MUTATIONS)
@EACH
@given(data=st.data())
def test_an_invalid_python_declaration_names_the_field(
    kind: str, data: st.DataObject, network: Network
) -> None:
    check_python(data.draw(invalid(kind), label="case"), network)


@pytest.mark.parametrize("kind", MUTATIONS)
@EACH
@given(data=st.data(), unicode=st.booleans())
def test_an_invalid_yaml_file_names_the_line_and_the_field(
    kind: str, data: st.DataObject, unicode: bool, network: Network
) -> None:
    case = data.draw(invalid(kind), label="case")
    text = dump(case.data, unicode)
    data.draw(st.just(text), label="text")  # shown with a failing example
    check_yaml(case, text, network)


# ---------------------------------------------------------------- slips only YAML can make


@dataclass
class Slip:
    """A text with one hand-made slip: the line it is on and what its message says."""

    text: str
    line: int
    says: str
    exact: bool = True
    """False for syntax errors the parser may notice a few lines later."""
    also: str | None = None
    """Another problem that must be reported, the whole line as it starts."""


Pair = tuple[Path_, yaml.ScalarNode, yaml.Node]


def key_nodes(text: str) -> list[Pair]:
    """Every key of every mapping with its value and its path, in document order."""
    found: list[Pair] = []

    def walk(node: yaml.Node | None, path: Path_) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                found.append(((*path, key.value), key, value))
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return found


def on_one_line(pair: Pair) -> bool:
    _, key, value = pair
    return isinstance(value, yaml.ScalarNode) and value.end_mark.line == key.start_mark.line


def line_number(text: str, index: int) -> int:
    """1-based, counting line breaks as YAML does."""
    return len(re.findall("\r\n|[\r\n\x85\u2028\u2029]", text[:index])) + 1


def splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def empty_color(draw: st.DrawFn, data: dict[str, Any], text: str) -> Slip:
    """`color: #5951ff` unquoted (a comment), or `color:` with nothing (`color: null` is fine)."""
    pairs = [p for p in key_nodes(text) if p[1].value == "color" and p[2].tag.endswith(":str")]
    _, key, value = draw(st.sampled_from(pairs))
    unquoted = draw(st.sampled_from([value.value, "", "# to do"]))
    slipped = splice(text, value.start_mark.index, value.end_mark.index, unquoted)
    return Slip(slipped, key.start_mark.line + 1, "color is empty; quote it")


def repeated_key(draw: st.DrawFn, data: dict[str, Any], text: str) -> Slip:
    """A key given twice in one mapping: a field line copied, or a whole section again. When
    the second `name:` is blank, that one (the one YAML keeps) is also refused at its line."""
    pairs = [p for p in key_nodes(text) if on_one_line(p)]
    if not pairs or draw(st.booleans()):
        crm = draw(st.sampled_from(sorted(data)))
        again = dump({crm: data[crm]}, draw(st.booleans()))
        return Slip(text + again, line_number(text + "x", len(text)), f"{crm!r} appears twice")
    path, key, value = draw(st.sampled_from(pairs))
    end = text.index("\n", value.end_mark.index)
    copied = text[key.start_mark.index : end]
    line = key.start_mark.line + 2
    also = None
    if key.value == "name" and draw(st.booleans()):
        copied = "name: ''"
        blank = copy.deepcopy(data)
        put(blank, path, "")
        also = f"{SHOWN}:{line}: {field_path(blank, path)}: must not be blank"
    slip = splice(text, end, end, "\n" + " " * key.start_mark.column + copied)
    return Slip(slip, line, f"{key.value!r} appears twice in one mapping", also=also)


def tab_indent(draw: st.DrawFn, data: dict[str, Any], text: str) -> Slip:
    """A tab at the start of a line that holds a key (YAML forbids tabs in indentation)."""
    _, key, _ = draw(st.sampled_from(key_nodes(text)))
    start = key.start_mark.index - key.start_mark.column
    column = draw(st.integers(0, key.start_mark.column))
    if text[start : start + column].strip(" "):
        column = 0  # only spaces before the tab; a `- ` stays after it
    slipped = splice(text, start + column, start + column, "\t")
    return Slip(slipped, key.start_mark.line + 1, "not valid YAML: ")


def bad_syntax(draw: st.DrawFn, data: dict[str, Any], text: str) -> Slip:
    """A value that breaks the syntax: an unclosed bracket or quote, a second colon, a stray
    list item, a key indented too far."""
    _, key, value = draw(st.sampled_from([p for p in key_nodes(text) if on_one_line(p)]))
    line = key.start_mark.line + 1
    written = text[value.start_mark.index : value.end_mark.index]
    rest = text[value.end_mark.index :]
    how = draw(st.sampled_from(["colon", "[", "{", '"', "item", "indent"]))
    closer = {"[": "]", "{": "}", '"': '"'}.get(how)
    if closer and closer not in rest:  # opened and never closed
        unclosed = splice(text, value.start_mark.index, value.end_mark.index, how + written)
        return Slip(unclosed, line, "not valid YAML: ", exact=False)
    if how == "item":
        end = text.index("\n", value.end_mark.index)
        item = "\n" + " " * key.start_mark.column + "- Lead"
        return Slip(splice(text, end, end, item), line + 1, "not valid YAML: ", exact=False)
    if how == "indent":
        end = text.index("\n", value.end_mark.index)
        extra = "\n" + " " * (key.start_mark.column + draw(st.integers(1, 3))) + "key: Lead"
        return Slip(splice(text, end, end, extra), line + 1, "not valid YAML: ", exact=False)
    return Slip(
        splice(text, value.end_mark.index, value.end_mark.index, ": x"),
        line,
        "not valid YAML: mapping values are not allowed here",
    )


FORBIDDEN = [chr(c) for c in [*range(0, 9), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x80, 0x9F]]


def bad_character(draw: st.DrawFn, data: dict[str, Any], text: str) -> Slip:
    """A character YAML does not allow (NUL, ESC, a C1 control, U+FFFE) anywhere."""
    index = draw(st.integers(0, len(text)))
    char = draw(st.sampled_from([*FORBIDDEN, "\ufffe", "\uffff"]))
    slipped = splice(text, index, index, char)
    return Slip(slipped, line_number(slipped, index), "not valid YAML: unacceptable character")


SLIPS: dict[str, Callable[[st.DrawFn, dict[str, Any], str], Slip]] = {
    "empty_color": empty_color,
    "repeated_key": repeated_key,
    "tab_indent": tab_indent,
    "bad_syntax": bad_syntax,
    "bad_character": bad_character,
}


@st.composite
def slipped(draw: st.DrawFn, kind: str) -> Slip:
    data = draw(STAGE_SETS)
    if kind == "empty_color":
        stage_at = add_outreach_stage(draw, data)
        get(data, stage_at)["color"] = draw(colors)
    if kind in ("bad_syntax", "tab_indent"):
        some_stage(draw, data)  # a key on a line of its own
    return SLIPS[kind](draw, data, dump(data, draw(st.booleans())))


@pytest.mark.parametrize("kind", YAML_ONLY)
@EACH
@given(data=st.data())
def test_a_yaml_slip_names_its_line(kind: str, data: st.DataObject, network: Network) -> None:
    slip = data.draw(slipped(kind), label="slip")
    problems = refused(lambda: load_text(slip.text, SHOWN), network)
    assert all(YAML_LINE.match(line) for line in problems), problems
    if slip.also:
        assert any(p.startswith(slip.also) for p in problems), (slip.also, problems)
    if slip.exact:
        assert any(p.startswith(f"{SHOWN}:{slip.line}: {slip.says}") for p in problems), problems
        return
    # The parser may notice an unclosed bracket or quote further down; then the message names
    # where it began as well.
    [problem] = problems
    match = YAML_LINE.match(problem)
    assert match and problem.startswith(f"{SHOWN}:{match[1]}: {slip.says}"), problem
    at = int(match[1])
    assert at == slip.line or (at > slip.line and f"on line {slip.line})" in problem), (
        slip.line,
        problem,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("declarations")


BAD_UTF8 = [b"\xff", b"\xfe", b"\x80", b"\xc3(", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8"]


@pytest.mark.parametrize("kind", BYTES_ONLY)
@EACH
@given(data=st.data(), unicode=st.booleans())
def test_a_file_that_is_not_utf8_names_its_line(
    kind: str, data: st.DataObject, unicode: bool, folder: Path, network: Network
) -> None:
    text = dump(data.draw(STAGE_SETS, label="data"), unicode)
    index = data.draw(st.integers(0, len(text)), label="index")
    bad = data.draw(st.sampled_from(BAD_UTF8), label="bytes")
    path = folder / SHOWN
    path.write_bytes(text[:index].encode() + bad + text[index:].encode())
    [problem] = refused(lambda: load_file(path), network)
    assert problem.startswith(f"{SHOWN}:{line_number(text, index)}: not UTF-8 text ("), problem
