"""What a program pays per stage it declares, which sets the stage set's time against the engine
floor at 1,000 stages (`bench/engine.py`): the SDK's output-type lookup runs once per resource
class, not once per resource; a stage declares no Output for a switch left unset; a stage in a
set asks the SDK to resolve no dependencies; a provider class is serialized once, not once per
resource; a set's stages share one options object; a stage's stack trace, which the engine keeps
in state for every stage, holds no frame between the set's code and the stage's constructor that
the shared declaration does not need. Program side only, so Pulumi's mocks are enough."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi._types as sdk_types
import pulumi.dynamic.dynamic as sdk_dynamic
import pytest
from pulumi.runtime import sync_await
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import reset_options
from pulumi.runtime.stack import run_pulumi_func

from pulumi_stages.core.output_types import MemoizedTypes
from pulumi_stages.core.provider_bytes import MemoizedProviders
from pulumi_stages.outreach import Stage
from pulumi_stages.outreach.stage import OutreachStageProvider
from pulumi_stages.stageset import StageSet


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[str]]:
        return {}, []


@pytest.fixture
def mocked() -> Iterator[None]:
    pulumi.runtime.set_mocks(_Mocks(), preview=True)
    try:
        yield
    finally:
        reset_options()  # no mock monitor is left for another test of this process


@pytest.fixture
def type_hints_evaluated(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    """The classes whose annotations the SDK evaluates (it calls `get_type_hints` once per
    lookup, on a stand-in class named after the resource's)."""
    seen: list[type] = []
    real = sdk_types.get_type_hints

    def counting(obj: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(sdk_types, "get_type_hints", counting)
    return seen


def test_a_stage_class_output_types_are_worked_out_once(type_hints_evaluated: list[type]) -> None:
    answers = [sdk_types.resource_types(Stage) for _ in range(3)]
    evaluated = [c for c in type_hints_evaluated if c.__name__ == "Stage"]
    assert len(evaluated) <= 1, f"annotations evaluated {len(evaluated)} times for 3 lookups"
    assert answers[0] == answers[2]
    assert answers[0]["stage_id"] is int  # the SDK turns the engine's 1.0 back into 1


def test_the_memo_answers_what_the_sdk_does_and_leaves_other_classes_alone() -> None:
    lookups: list[type] = []

    def lookup(cls: type) -> dict[str, type]:
        lookups.append(cls)
        return {"stage_id": int}

    memo = MemoizedTypes(lookup, Stage)
    first = memo(Stage)
    first["mutated"] = str  # a caller's copy, never the memo's
    assert memo(Stage) == {"stage_id": int}
    memo(StageSet)
    memo(StageSet)
    assert lookups == [Stage, StageSet, StageSet]


def test_an_unset_switch_is_no_output_of_a_stage(mocked: None) -> None:
    plain = Stage("plain", name="Lead", ordered_by_set=True)
    adopting = Stage("adopting", name="Won", adopt=True)
    assert not hasattr(plain, "adopt") and not hasattr(plain, "adopt_id")
    assert isinstance(adopting.adopt, pulumi.Output)
    assert isinstance(plain.color, pulumi.Output)  # a declared field stays, even when unset
    assert isinstance(plain.stage_id, pulumi.Output)


def test_a_stage_in_a_set_asks_for_no_dependencies(
    mocked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    options: list[pulumi.ResourceOptions | None] = []
    real_init = Stage.__init__

    def recording(self: Stage, *args: Any, **kwargs: Any) -> None:
        options.append(kwargs.get("opts"))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Stage, "__init__", recording)
    StageSet("sales", {"outreach": {"stages": [{"name": "Lead"}, {"name": "Won"}]}})
    assert len(options) == 2
    assert all(o is not None and o.depends_on is None for o in options)
    assert all(o is not None and o.ignore_changes == ["order"] for o in options)
    assert options[0] is options[1]  # made once per set: the SDK copies them


def test_a_stage_set_serializes_its_stage_provider_once(
    mocked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = sdk_dynamic.serialize_provider
    assert isinstance(memo, MemoizedProviders)
    serialized: list[type] = []
    real = memo.serialize

    def counting(provider: Any) -> str:
        serialized.append(type(provider))
        return real(provider)

    monkeypatch.setattr(memo, "serialize", counting)
    monkeypatch.setattr(memo, "_memo", {})
    StageSet("sales", {"outreach": {"stages": [{"name": f"S{i}"} for i in range(5)]}})
    assert serialized.count(OutreachStageProvider) == 1, serialized


def test_the_provider_memo_answers_what_the_sdk_does_and_leaves_stateful_ones_alone() -> None:
    memo = sdk_dynamic.serialize_provider
    assert isinstance(memo, MemoizedProviders)
    real = memo.serialize
    assert memo(OutreachStageProvider()) == real(OutreachStageProvider())

    class Stateful(OutreachStageProvider):
        def __getstate__(self) -> dict[str, Any]:
            return {"seen": id(self)}

    calls: list[Any] = []

    def serialize(provider: Any) -> str:
        calls.append(provider)
        return f"p{len(calls)}"

    fresh = MemoizedProviders(serialize, (OutreachStageProvider,))
    assert fresh(Stateful()) != fresh(Stateful())  # pickled state: serialized every time
    assert fresh(OutreachStageProvider()) == fresh(OutreachStageProvider())
    assert len(calls) == 3


EVERY_ADAPTER: dict[str, Any] = {
    "outreach": {
        "stages": [{"name": "Lead"}, {"name": "Won"}],
        "retired": [{"name": "Old", "keep": True}],
    },
    "capsule": {
        "boards": [
            {
                "name": "Projects",
                "stages": [{"name": "Brief"}, {"name": "Done"}],
                "retired": [{"name": "Parked", "keep": True}],
            }
        ]
    },
    "hubspot": {
        "deals": [{"name": "Sales", "stages": [{"name": "Demo", "probability": 0.3}]}],
        "tickets": [{"name": "Support", "stages": [{"name": "Open", "ticket_state": "OPEN"}]}],
        "leads": [
            {
                "name": "Inbound",
                "stages": [{"name": "New"}],
                "retired": [{"name": "Cold", "keep": True}],
            }
        ],
    },
}
"""A set with a stage list in each adapter's shape: Outreach's single list, a Capsule board,
HubSpot deal, ticket and lead pipelines (an object type's own stage class); Outreach's list,
the board and the lead pipeline each with a retired stage kept in the CRM."""


def test_each_stage_is_constructed_by_the_set_with_no_section_frame_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SDK sends every frame above a resource's constructor as its stack trace, which the
    engine keeps in state (about 100 bytes a frame, paid by every stage on every write of the
    state): below each stage class's frame are `declare_section`'s and the StageSet's, with the
    section's own frames (and any closure of an adapter) suspended or gone."""
    traces: dict[tuple[str, str], list[str]] = {}
    real = MockMonitor.RegisterResource

    def recording(self: MockMonitor, request: resource_pb2.RegisterResourceRequest) -> Any:
        frames = [f.pc.uri.rsplit("/pulumi_stages/", 1)[-1] for f in request.stackTrace.frames]
        traces[(request.type, request.name)] = frames
        return real(self, request)

    monkeypatch.setattr(MockMonitor, "RegisterResource", recording)
    pulumi.runtime.set_mocks(_Mocks(), preview=True)
    try:
        sync_await._sync_await(run_pulumi_func(lambda: StageSet("traced", EVERY_ADAPTER)))
    finally:
        reset_options()
    stages = {
        (kind, name): frames
        for (kind, name), frames in traces.items()
        if kind.endswith("Stage") and name.startswith("traced/")  # not another test's
    }
    assert sorted(name.rsplit("/", 1)[-1] for _, name in stages) == [
        "Brief",
        "Cold",
        "Demo",
        "Done",
        "Lead",
        "New",
        "Old",
        "Open",
        "Parked",
        "Won",
    ]
    stage_modules = {
        "outreach/stage.py",
        "capsule/stage.py",
        "hubspot/stage.py",
        "hubspot/object_stages.py",  # the stage class of an object type's pipeline
    }
    for (kind, name), frames in stages.items():
        adapter = kind.split("/")[1].split(":")[0]
        # ApiResource's constructor, the stage class's, declare_section, the StageSet's
        assert frames[0] == "core/resource.py", (name, frames[:6])
        assert frames[1] in stage_modules and frames[1].startswith(f"{adapter}/"), (name, frames)
        assert frames[2:4] == ["core/sections.py", "stageset/component.py"], (name, frames[:6])
