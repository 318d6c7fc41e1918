"""How `pulumi-stages drift` reads the engine's preview steps and renders its table (no engine:
the steps are the JSON `pulumi preview --refresh --json` prints)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_stages.cli import main
from pulumi_stages.drift import (
    UNKNOWN,
    Difference,
    DriftReport,
    _adapter_of,
    _declared_vs_live,
    _known_names,
    _listed_names,
    render_markdown,
    render_text,
)

STAGE = "pulumi-python:dynamic/outreach:Stage"


def urn(name: str) -> str:
    return f"urn:pulumi:dev::p::{STAGE}::{name}"


def refresh(resource: str, **outputs: Any) -> dict[str, Any]:
    return {"op": "refresh", "urn": urn(resource), "oldState": {"type": STAGE, "outputs": outputs}}


def test_a_field_that_differs_is_one_row_with_declared_state_and_live() -> None:
    steps = [
        refresh("s/Won", name="Won", color="#00ff00"),
        {
            "op": "update",
            "urn": urn("s/Won"),
            "oldState": {"type": STAGE, "outputs": {"name": "Won", "color": "#000000"}},
            "newState": {"type": STAGE, "inputs": {"name": "Won", "color": "#00ff00"}},
        },
    ]
    rows, checked = _declared_vs_live(steps)
    assert rows == [Difference("s/Won", "color", "#00ff00", "#00ff00", "#000000")]
    assert checked == 1


def test_values_known_only_after_an_up_and_hidden_inputs_are_not_drift() -> None:
    steps = [
        {
            "op": "update",
            "urn": urn("s"),
            "oldState": {"type": STAGE, "outputs": {"stages": {"a": "1"}, "__provider": "x"}},
            "newState": {"type": STAGE, "inputs": {"stages": {"a": UNKNOWN}, "__provider": "y"}},
        }
    ]
    assert _declared_vs_live(steps)[0] == []


def test_a_stage_gone_from_the_account_and_one_no_longer_declared() -> None:
    steps = [
        refresh("s/Lost", name="Lost"),
        {
            "op": "create",
            "urn": urn("s/Lost"),
            "newState": {"type": STAGE, "inputs": {"name": "Lost"}},
        },
        {
            "op": "create",
            "urn": urn("s/New"),
            "newState": {"type": STAGE, "inputs": {"name": "New"}},
        },
        refresh("s/Old", name="Old"),
        {
            "op": "delete",
            "urn": urn("s/Old"),
            "oldState": {"type": STAGE, "outputs": {"name": "Old"}},
        },
    ]
    rows, checked = _declared_vs_live(steps)
    assert [(r.resource, r.field, r.state) for r in rows] == [
        ("s/Lost", "(missing)", "in state, gone from the account"),
        ("s/New", "(missing)", "never applied"),
        ("s/Old", "(not declared)", "Old"),
    ]
    assert checked == 3


def test_exported_sections_name_their_items_by_kind() -> None:
    section = {"boards": [{"name": "B", "stages": [{"name": "x"}, {"name": "y"}]}]}
    assert sorted(_listed_names(section)) == [("board", "B"), ("stage", "x"), ("stage", "y")]


def test_markdown_escapes_pipes_and_text_says_in_sync() -> None:
    report = DriftReport("prod", [Difference("a|b", "name", "x", "x", "y|z")], checked=2)
    assert "| a\\|b | name | x | x | y\\|z |" in render_markdown(report)
    assert render_text(DriftReport("prod", checked=2)) == (
        "stack prod: in sync (2 resources checked, no drift)\n"
    )


def test_a_dynamic_resource_of_the_users_own_is_not_ours() -> None:
    """Only registered adapters' modules count: a user's `dynamic/webhooks:Hook` in the same
    stack is neither compared nor listed, whatever the preview says of it."""
    theirs = "pulumi-python:dynamic/webhooks:Hook"
    assert _adapter_of(STAGE) == "outreach"
    assert _adapter_of(theirs) is None
    assert _adapter_of("pulumi-python:dynamic:Resource") is None
    assert _adapter_of("custom:dynamic/outreach:Stage") is None
    hook = f"urn:pulumi:dev::p::{theirs}::hook"
    steps = [
        {"op": "refresh", "urn": hook, "oldState": {"type": theirs, "outputs": {"name": "h"}}},
        {
            "op": "update",
            "urn": hook,
            "oldState": {"type": theirs, "outputs": {"name": "h", "url": "https://a"}},
            "newState": {"type": theirs, "inputs": {"name": "h", "url": "https://b"}},
        },
        {"op": "create", "urn": hook + "2", "newState": {"type": theirs, "inputs": {"name": "i"}}},
    ]
    assert _declared_vs_live(steps) == ([], 0)
    assert _known_names(steps, "webhooks") == {}


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["drift", "--stack", "dev", "--format", "html"], "usage: pulumi-stages drift"),
        (["drift"], "usage: pulumi-stages drift"),
        (["no-such-command"], "usage: pulumi-stages"),
        (["export", "no-such-crm"], "usage: pulumi-stages export"),
    ],
)
def test_a_usage_error_exits_1_so_that_2_means_drift_only(
    argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(usage), err
    assert "error:" in err
