"""How `pulumi-stages drift` reads the engine's preview steps and renders its table (no engine:
the steps are the JSON `pulumi preview --refresh --json` prints)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pulumi_stages.cli import main
from pulumi_stages.core import registry
from pulumi_stages.core.registry import Place
from pulumi_stages.drift import (
    UNKNOWN,
    Difference,
    DriftReport,
    _adapter_of,
    _declared_vs_live,
    render_markdown,
    render_text,
)
from pulumi_stages.drift_listing import compare, held_places, listed_places
from pulumi_stages.drift_report import Unmanaged

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


def test_exported_sections_name_their_items_by_kind_and_container() -> None:
    section = {"boards": [{"name": "B", "stages": [{"name": "x"}, {"name": "y"}]}]}
    assert sorted(listed_places(section)) == [
        (Place("boards", "", "B"), True),
        (Place("boards.stages", "B", "x"), False),
        (Place("boards.stages", "B", "y"), False),
    ]


def test_markdown_escapes_pipes_and_text_says_in_sync() -> None:
    report = DriftReport("prod", [Difference("a|b", "name", "x", "x", "y|z")], checked=2)
    assert "| `a\\|b` | `-` | `name` | `x` | `x` | `y\\|z` |" in render_markdown(report)
    assert render_text(DriftReport("prod", checked=2)) == (
        "stack prod: in sync (2 resources checked, no drift)\n"
    )


EVIL = "Evil | [click](https://evil.example) @someone <img src=x>"


def test_text_from_the_account_is_inert_in_markdown() -> None:
    """A hand-made stage named like a link, a mention and HTML renders as code: every cell is
    a code span (pipes escaped for the table), never bare text."""
    row = Difference(f"hubspot stage {EVIL!r}", "(unexpected)", "-", "-", "present", "x `y`")
    unmanaged = Unmanaged(f"hubspot deal pipeline {EVIL!r}", 1)
    markdown = render_markdown(DriftReport("dev", [row], checked=1, unmanaged=[unmanaged]))
    print(markdown)
    row_line = markdown.splitlines()[4].replace("\\|", "\0")  # an escaped pipe is no border
    cells = [c.strip() for c in row_line.strip("| ").split(" | ")]
    assert all(c.startswith("`") and c.endswith("`") for c in cells), cells
    assert cells[0] == "`hubspot stage '" + EVIL.replace("|", "\0") + "'`"
    assert cells[1] == "`` x `y` ``"  # a longer fence than the backticks inside, padded
    assert f"- `hubspot deal pipeline {EVIL!r} (1 stage)`" in markdown
    outside = re.sub(r"(`+).*?\1", "", markdown)  # what is not in a code span
    assert not re.search(r"\]\(|@someone|<img", outside), outside


def test_one_place_reads_as_one_place() -> None:
    report = DriftReport("dev", [Difference("s", "name", "a", "a", "b")], checked=1)
    assert render_text(report).startswith("stack dev: drift in 1 place (1 resource checked)\n")
    assert "has drifted (1 place)" in render_markdown(report)


def test_a_refused_preview_is_the_report_in_text_and_markdown() -> None:
    report = DriftReport("dev", refused=["sales/outreach/New: refused: a stage named 'New'"])
    assert report.exit_code == 1
    assert render_text(report) == (
        "stack dev: the preview was refused, so drift was not checked\n\n"
        "sales/outreach/New: refused: a stage named 'New'\n"
    )
    markdown = render_markdown(report)
    assert "```text\nsales/outreach/New: refused: a stage named 'New'\n```" in markdown


HUBSPOT_STAGE = "pulumi-python:dynamic/hubspot:DealStage"
HUBSPOT_PIPELINE = "pulumi-python:dynamic/hubspot:Pipeline"


def deal_stage(name: str, pipeline: str) -> dict[str, Any]:
    """A refreshed deal stage of the stack, as the preview shows it."""
    outputs = {"name": name, "pipeline": pipeline, "pipeline_id": "7"}
    return {
        "op": "same",
        "urn": f"urn:pulumi:dev::p::{HUBSPOT_STAGE}::{pipeline}/{name}",
        "oldState": {"type": HUBSPOT_STAGE, "outputs": outputs},
        "newState": {"type": HUBSPOT_STAGE, "inputs": outputs},
    }


def test_names_match_per_kind_and_container_and_undeclared_containers_are_information() -> None:
    """A hand-made 'Won' in a declared pipeline is drift though another declared pipeline's
    'Won' is the stack's; the default pipeline nobody declared is listed, not counted, unless
    asked."""
    section = {
        "deals": [
            {"name": "Sales Pipeline", "stages": [{"name": "Won"}, {"name": "Lost"}]},
            {"name": "Ours", "stages": [{"name": "New"}, {"name": "Won"}]},
            {"name": "Closing", "stages": [{"name": "Won"}]},
        ],
        "tickets": [],
    }
    hubspot = registry.adapter("hubspot")
    held = held_places([deal_stage("New", "Ours"), deal_stage("Won", "Closing")], hubspot)
    rows, unmanaged = compare(hubspot, list(listed_places(section)), held, counted=False)
    assert [(r.resource, r.where) for r in rows] == [
        ("hubspot stage 'Won'", "hubspot deal pipeline 'Ours'")
    ]
    assert unmanaged == [Unmanaged("hubspot deal pipeline 'Sales Pipeline'", 2)]
    counted, none = compare(hubspot, list(listed_places(section)), held, counted=True)
    assert none == []
    assert {(r.resource, r.field, r.live) for r in counted} == {
        ("hubspot stage 'Won'", "(unexpected)", "present"),
        ("hubspot deal pipeline 'Sales Pipeline'", "(not managed)", "present (2 stages)"),
    }


def test_an_adopted_pipeline_that_lists_no_stages_leaves_them_out_of_drift() -> None:
    """A pipeline adopted only to be relabelled (no stages listed: they are left as they are)
    is the stack's, so it is not 'not managed', and its stages are not 'unexpected'; a hand-made
    stage in a pipeline whose stages the stack lists still is."""
    section = {
        "deals": [
            {"name": "Sales", "stages": [{"name": "Won"}, {"name": "Lost"}]},
            {"name": "Ours", "stages": [{"name": "New"}, {"name": "By hand"}]},
        ],
        "tickets": [],
    }
    hubspot = registry.adapter("hubspot")
    pipeline = {"name": "Sales", "object_type": "deals"}
    adopted = {
        "op": "same",
        "urn": f"urn:pulumi:dev::p::{HUBSPOT_PIPELINE}::Sales",
        "oldState": {"type": HUBSPOT_PIPELINE, "outputs": pipeline},
        "newState": {"type": HUBSPOT_PIPELINE, "inputs": pipeline},
    }
    ours = {**adopted, "urn": f"urn:pulumi:dev::p::{HUBSPOT_PIPELINE}::Ours"}
    ours["oldState"] = {"type": HUBSPOT_PIPELINE, "outputs": {**pipeline, "name": "Ours"}}
    ours["newState"] = {"type": HUBSPOT_PIPELINE, "inputs": {**pipeline, "name": "Ours"}}
    held = held_places([adopted, ours, deal_stage("New", "Ours")], hubspot)
    for counted in (False, True):
        rows, unmanaged = compare(hubspot, list(listed_places(section)), held, counted=counted)
        assert [(r.resource, r.where) for r in rows] == [
            ("hubspot stage 'By hand'", "hubspot deal pipeline 'Ours'")
        ]
        assert unmanaged == []


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
    assert held_places(steps, registry.adapter("outreach")) == {}


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
