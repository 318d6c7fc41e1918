"""Adapters keep to the contract, read from their code: no adapter folder imports a private core
name or reaches a private attribute of a core class (read, called or overridden), and none keeps
process-wide mutable state (what it learns of an account lives in the account's context). The
contract's page names every name of the contract. The checks run on every folder that has an
`adapter.py`, so a new CRM is held to them without a line here."""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
import inspect
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

import pulumi_stages
from pulumi_stages.core import contract
from pulumi_stages.core.declared_inputs import DeclaredInputs
from pulumi_stages.core.resource import ApiResourceProvider
from pulumi_stages.core.sections import (
    DeclaredSection,
    Declaring,
    SectionSpec,
    SetBuilder,
    StageList,
    StageSpec,
    declare_section,
)

PACKAGE = Path(pulumi_stages.__file__).resolve().parent
CORE = PACKAGE / "core"
ADAPTERS = sorted(p.name for p in PACKAGE.iterdir() if (p / "adapter.py").is_file())
CONTRACT_PAGE = PACKAGE.parents[1] / "docs" / "adapter-contract.md"

MUTATORS = frozenset(
    {"append", "add", "update", "setdefault", "pop", "popitem", "clear", "extend", "insert"}
    | {"remove", "discard", "sort", "reverse", "__setitem__", "__delitem__"}
)
"""Methods that change a dict, list or set in place."""

CONSTANT_TYPES = (int, float, complex, str, bytes, bool, type(None), range, re.Pattern)


def private(name: str) -> bool:
    """`_name`, not `__dunder__`."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass(frozen=True)
class Module:
    """One module of an adapter folder: its dotted name, its parsed source and its namespace."""

    name: str
    tree: ast.Module
    namespace: dict[str, Any]


def adapter_modules(crm: str) -> list[Module]:
    """Every module of the adapter folder, parsed and imported."""
    found = []
    for path in sorted((PACKAGE / crm).glob("*.py")):
        name = f"pulumi_stages.{crm}.{path.stem}".removesuffix(".__init__")
        namespace = vars(importlib.import_module(name))
        found.append(Module(name, ast.parse(path.read_text(), str(path)), namespace))
    return found


def core_private_members() -> dict[str, frozenset[str]]:
    """`module:qualname` of each core class -> the private names it defines: methods, class
    attributes, and attributes its methods set on `self`."""
    members: dict[str, frozenset[str]] = {}
    for path in CORE.rglob("*.py"):
        module = "pulumi_stages." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                members[f"{module}:{node.name}"] = frozenset(class_private_names(node))
    return members


def class_private_names(node: ast.ClassDef) -> Iterator[str]:
    """The private names a class body defines or sets on `self`."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and private(item.name):
            yield item.name
        for target in assigned(item):
            if private(target):
                yield target
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Attribute)
            and isinstance(inner.ctx, ast.Store)
            and isinstance(inner.value, ast.Name)
            and inner.value.id == "self"
            and private(inner.attr)
        ):
            yield inner.attr


def assigned(node: ast.stmt) -> Iterator[str]:
    """Names a statement binds by plain assignment."""
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    for target in targets:
        if isinstance(target, ast.Name):
            yield target.id


def core_module_of(module: str, node: ast.ImportFrom) -> str | None:
    """The core module an import reads from, as a dotted name; None if it is not core."""
    if node.level:
        base = module.split(".")[: -node.level]
        resolved = ".".join([*base, *(node.module.split(".") if node.module else [])])
    else:
        resolved = node.module or ""
    return resolved if resolved.startswith("pulumi_stages.core") else None


def private_imports(module: Module) -> Iterator[str]:
    """Private core names (or private core modules) the module imports."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            source = core_module_of(module.name, node)
            if source is None:
                continue
            if any(private(part) for part in source.split(".")):
                yield f"line {node.lineno}: imports from private module {source}"
            for alias in node.names:
                if private(alias.name):
                    yield f"line {node.lineno}: imports {alias.name} from {source}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if alias.name.startswith("pulumi_stages.core") and any(map(private, parts)):
                    yield f"line {node.lineno}: imports private module {alias.name}"


def core_private_of(cls: type, members: dict[str, frozenset[str]]) -> frozenset[str]:
    """The private names the core classes among `cls`'s bases define."""
    names: set[str] = set()
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("pulumi_stages.core"):
            names |= members.get(f"{base.__module__}:{base.__qualname__}", frozenset())
    return frozenset(names)


def private_reaches(module: Module, members: dict[str, frozenset[str]]) -> Iterator[str]:
    """Private attributes of core classes the module reads, calls or overrides: in a class
    built on a core class, `self._x` or `def _x` where a core base defines `_x`; anywhere, `._x`
    of another object when core defines `_x` and this adapter does not."""
    core_names = frozenset().union(*members.values())
    own = {
        name
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ClassDef)
        for name in class_private_names(node)
    }
    inherited: dict[int, frozenset[str]] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ClassDef):
            cls = module.namespace.get(node.name)
            if isinstance(cls, type):
                reserved = core_private_of(cls, members)
                for inner in ast.walk(node):
                    inherited[id(inner)] = reserved
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name in reserved:
                        yield f"line {item.lineno}: overrides core's private {item.name}"
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Attribute) or not private(node.attr):
            continue
        on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        if on_self and node.attr in inherited.get(id(node), frozenset()):
            yield f"line {node.lineno}: reaches core's private self.{node.attr}"
        elif not on_self and node.attr in core_names - own:
            yield f"line {node.lineno}: reaches core's private .{node.attr}"


def mutated_names(tree: ast.Module) -> set[str]:
    """Module-level names the code changes in place, rebinds from a function, or subscripts
    into in an assignment."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            names.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in MUTATORS and isinstance(node.func.value, ast.Name):
                names.add(node.func.value.id)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            if isinstance(node.value, ast.Name):
                names.add(node.value.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def constant(value: Any) -> bool:
    """Whether a value cannot change: plain data, frozen dataclasses, enums, classes, functions,
    modules and type expressions, or tuples and frozensets of them."""
    if isinstance(value, (*CONSTANT_TYPES, enum.Enum, type, types.ModuleType)):
        return True
    if inspect.isroutine(value) or isinstance(value, types.GenericAlias | types.UnionType):
        return True
    if type(value).__module__ == "typing":  # Annotated, Callable[...], Literal...
        return True
    if isinstance(value, tuple | frozenset):
        return all(constant(item) for item in value)
    params = getattr(type(value), "__dataclass_params__", None)
    return dataclasses.is_dataclass(value) and params is not None and params.frozen


def process_state(module: Module) -> Iterator[str]:
    """Module-level values that hold state for the whole process: a dict, list or set the code
    changes, or an object of a class that is not frozen data."""
    changed = mutated_names(module.tree)
    for node in module.tree.body:
        for name in assigned(node):
            if name.startswith("__") or name not in module.namespace:
                continue
            value = module.namespace[name]
            if isinstance(value, dict | list | set | bytearray):
                if name in changed:
                    yield f"line {node.lineno}: {name} is a {type(value).__name__} it changes"
            elif not constant(value):
                yield f"line {node.lineno}: {name} is a {type(value).__name__} kept process-wide"


@pytest.fixture(scope="module")
def members() -> dict[str, frozenset[str]]:
    return core_private_members()


def test_every_adapter_folder_is_checked() -> None:
    assert {"outreach", "capsule", "hubspot"} <= set(ADAPTERS)


@pytest.mark.parametrize("crm", ADAPTERS)
def test_no_adapter_imports_a_private_core_name(crm: str) -> None:
    found = [f"{m.name} {p}" for m in adapter_modules(crm) for p in private_imports(m)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("crm", ADAPTERS)
def test_no_adapter_reaches_a_private_attribute_of_a_core_class(
    crm: str, members: dict[str, frozenset[str]]
) -> None:
    modules = adapter_modules(crm)
    found = [f"{m.name} {p}" for m in modules for p in private_reaches(m, members)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("crm", ADAPTERS)
def test_no_adapter_keeps_process_wide_mutable_state(crm: str) -> None:
    found = [f"{m.name} {p}" for m in adapter_modules(crm) for p in process_state(m)]
    assert not found, "\n".join(found)


PLANTED = """
import threading
from pulumi_stages.core.resource import ApiResourceProvider, _adopts
from ..core.journal import _Private as P

CACHE: dict[str, str] = {{}}
TABLE = {{"a": 1}}
LOCK = threading.Lock()


class Provider(ApiResourceProvider):
    def {overridden}(self, inputs):
        return ()

    def create(self, props):
        CACHE["x"] = "y"
        return self.{called}(None, props)


def peek(account):
    return account.{peeked}
"""


def test_the_checks_catch_what_they_forbid(members: dict[str, frozenset[str]]) -> None:
    """A planted adapter module with one of each fault (the private names are core's own, as
    they are named today): every check names it, and only it."""
    provider_private = sorted(core_private_of(ApiResourceProvider, members))
    overridden, called = provider_private[0], provider_private[-1]
    peeked = sorted(members["pulumi_stages.core.account:Account"])[0]
    tree = ast.parse(PLANTED.format(overridden=overridden, called=called, peeked=peeked))
    body = ast.Module([n for n in tree.body if not isinstance(n, ast.ImportFrom)], [])
    namespace: dict[str, Any] = {"ApiResourceProvider": ApiResourceProvider}
    exec(compile(body, "planted", "exec"), namespace)
    planted = Module("pulumi_stages.planted.api", tree, namespace)
    assert sorted(p.split(": ", 1)[1] for p in private_imports(planted)) == [
        "imports _Private from pulumi_stages.core.journal",
        "imports _adopts from pulumi_stages.core.resource",
    ]
    assert sorted(p.split(": ", 1)[1] for p in private_reaches(planted, members)) == sorted(
        [
            f"overrides core's private {overridden}",
            f"reaches core's private .{peeked}",
            f"reaches core's private self.{called}",
        ]
    )
    assert sorted(p.split(": ", 1)[1] for p in process_state(planted)) == [
        "CACHE is a dict it changes",
        "LOCK is a lock kept process-wide",
    ]


def test_the_contract_page_names_every_contract_name() -> None:
    page = CONTRACT_PAGE.read_text()
    names = [*contract.api.__all__, *contract.resource.__all__]
    missing = [name for name in names if f"`{name}`" not in page]
    assert not missing, f"docs/adapter-contract.md does not name: {', '.join(missing)}"


class _Builder:
    """Names resources as the StageSet's builder does; declares no ordering resource."""

    def resource_name(self, *parts: str) -> str:
        return "/".join(("set", "crm", *parts))

    def order(self, *args: Any) -> None:
        """No order: the stages below are not resources."""


class _Returning(SectionSpec):
    def declare(self, builder: SetBuilder) -> Declaring:
        return DeclaredSection()  # type: ignore[return-value]


class _Forgetting(SectionSpec):
    def declare(self, builder: SetBuilder) -> Declaring:
        yield StageList(
            path=(), stages=(), retired=(), stage=dict, shared={}, live=_own, order=object
        )


class _Stray(SectionSpec):
    def declare(self, builder: SetBuilder) -> Declaring:
        yield {"stages": []}  # type: ignore[misc]
        return DeclaredSection()


class _Failing(SectionSpec):
    closed: ClassVar[list[str]] = []

    def declare(self, builder: SetBuilder) -> Declaring:
        try:
            yield StageList(
                path=("board",),
                stages=[StageSpec(name="Lead")],
                retired=(),
                stage=_refuse,
                shared={},
                live=_own,
                order=object,
            )
        finally:
            self.closed.append("closed")
        return DeclaredSection()


def _own(spec: Any, index: int) -> dict[str, Any]:
    return {"name": spec.name}


def _refuse(resource_name: str, **arguments: Any) -> Any:
    raise ValueError(f"refused {resource_name}")


def test_a_section_declare_outside_the_protocol_is_refused_by_name() -> None:
    """A section's declare yields its lists of stages (`Declaring`) and ends by returning its
    result; one that returns at once, yields something else or ends without a result fails
    naming the protocol."""
    with pytest.raises(TypeError, match=r"_Returning\.declare must be a generator .*Declaring"):
        declare_section(_Builder(), _Returning())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"_Forgetting\.declare must end by returning"):
        declare_section(_Builder(), _Forgetting())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"_Stray\.declare must yield StageList objects"):
        declare_section(_Builder(), _Stray())  # type: ignore[arg-type]


def test_an_error_declaring_a_list_names_the_list_and_closes_the_section() -> None:
    _Failing.closed.clear()
    with pytest.raises(ValueError, match="refused set/crm/board/Lead") as raised:
        declare_section(_Builder(), _Failing())  # type: ignore[arg-type]
    assert raised.value.__notes__ == ["while declaring the stages of 'set/crm/board'"]
    assert _Failing.closed == ["closed"]


def provider_classes(crm: str) -> list[type[ApiResourceProvider]]:
    """Every concrete provider class of an adapter folder (HubSpot's other object types by one
    made for `leads`)."""
    for module in adapter_modules(crm):
        make = module.namespace.get("stage_provider")
        if callable(make) and module.name.endswith("object_stages"):
            make("leads")
    found, todo = [], list(ApiResourceProvider.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith(f"pulumi_stages.{crm}.") and "inputs" in vars(cls):
            found.append(cls)
    return found


@pytest.mark.parametrize("crm", ADAPTERS)
def test_every_resource_names_the_fields_its_model_declares(crm: str) -> None:
    classes = provider_classes(crm)
    assert classes  # the folder has providers, and each declares its inputs
    for cls in classes:
        assert set(cls.inputs_model().model_fields) == set(cls.input_names()), cls


def test_a_model_whose_fields_differ_from_the_names_fails_to_load() -> None:
    declared = DeclaredInputs(("name", "colour"), model="pulumi_stages.outreach.models.StageInputs")
    with pytest.raises(TypeError, match=r"declares \['color', 'order'\].* lacks \['colour'\]"):
        declared.model()
