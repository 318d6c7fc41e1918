"""How `pulumi-stages drift` reads the engine's preview steps and renders its table (no engine:
the steps are the JSON `pulumi preview --refresh --json` prints)."""

from __future__ import annotations

from typing import Any

from pulumi_stages.drift import (
    UNKNOWN,
    Difference,
    DriftReport,
    _declared_vs_live,
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
