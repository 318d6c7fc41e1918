"""Reading stage sets: YAML errors name file, line and field; duplicates are refused; schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_stages.cli import main
from pulumi_stages.stageset import (
    StageSetError,
    StageSetSpec,
    json_schema_text,
    load_file,
    shipped_schema_text,
)
from pulumi_stages.stageset.source import load_value

GOOD = """\
outreach:
  stages:
    - name: Lead
      color: "#5951FF"
    - name: Won
capsule:
  adopt: true
  boards:
    - name: Sales
      stages:
        - name: Brief
        - name: Proposal
          description: Send it
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stages.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(StageSetError) as caught:
        load_file(write(tmp_path, text))
    return caught.value.problems


def test_a_good_file_loads_in_declared_order(tmp_path: Path) -> None:
    spec = load_file(write(tmp_path, GOOD))
    assert spec.outreach is not None and spec.capsule is not None
    assert [s.name for s in spec.outreach.stages] == ["Lead", "Won"]
    assert spec.outreach.stages[0].color == "#5951ff"
    assert spec.capsule.adopt is True
    assert [s.name for s in spec.capsule.boards[0].stages] == ["Brief", "Proposal"]


def test_blank_capsule_stage_name_names_file_line_and_board(tmp_path: Path) -> None:
    text = GOOD.replace("- name: Proposal", '- name: " "')
    assert problems(tmp_path, text) == [
        "stages.yaml:12: capsule.boards[Sales].stages[1].name: must not be blank"
    ]


def test_every_problem_is_reported_with_its_own_line(tmp_path: Path) -> None:
    text = GOOD.replace('"#5951FF"', "red").replace("- name: Won", "- nme: Won")
    assert problems(tmp_path, text) == [
        "stages.yaml:4: outreach.stages[0].color: must be a hex colour such as #5951ff, got 'red'",
        "stages.yaml:5: outreach.stages[1].name: required, but missing",
        "stages.yaml:5: outreach.stages[1].nme: unknown key; did you mean `name`?",
    ]


def test_names_declared_twice_are_reported_beside_the_other_problems(tmp_path: Path) -> None:
    """One run shows every problem: the duplicates are found in the rest of the file."""
    text = (
        GOOD.replace('"#5951FF"', "red")
        .replace("- name: Won", "- name: Lead\n      colour: blue")
        .replace("- name: Proposal", "- name: Brief")
        .replace("description: Send it", "description: [a, b]")
    )
    assert problems(tmp_path, text) == [
        "stages.yaml:4: outreach.stages[0].color: must be a hex colour such as #5951ff, got 'red'",
        "stages.yaml:5: outreach.stages[1].name: duplicate stage name 'Lead' (first at stages[0])",
        "stages.yaml:6: outreach.stages[1].colour: unknown key; did you mean `color`?",
        "stages.yaml:13: capsule.boards[Sales].stages[1].name: duplicate stage name 'Brief' "
        "(first at stages[0])",
        "stages.yaml:14: capsule.boards[Sales].stages[1].description: must be text, got ['a', 'b']",
    ]


@pytest.mark.parametrize(
    "stages",
    [
        "    - {name: Lead, key: Won}\n    - {name: Won, key: 5}\n",
        "    - {name: Lead}\n    - {name: Won}\n  retired:\n    - {name: Old, moved_to: 5}\n",
    ],
    ids=["a key left out", "a retired entry's target left out"],
)
def test_what_is_left_out_is_never_judged(tmp_path: Path, stages: str) -> None:
    """Without the wrong key, `Won` would repeat a key and `Old` would say neither where its
    records go nor `keep`: only the problem in the file is reported."""
    [problem] = problems(tmp_path, f"outreach:\n  stages:\n{stages}")
    assert "must be text, got 5" in problem


def test_a_duplicate_waits_for_a_missing_name(tmp_path: Path) -> None:
    """With a required field wrong the rest cannot be validated, so no duplicate is guessed."""
    text = GOOD.replace("- name: Won", "- name: Lead").replace("- name: Brief", "- nme: Brief")
    assert problems(tmp_path, text) == [
        "stages.yaml:11: capsule.boards[Sales].stages[0].name: required, but missing",
        "stages.yaml:11: capsule.boards[Sales].stages[0].nme: unknown key; did you mean `name`?",
    ]


def test_a_misspelt_key_holding_a_list_or_block_names_the_key_line(tmp_path: Path) -> None:
    """A list or block value starts on the line after its key; the error names the key's."""
    text = GOOD.replace("outreach:", "outreech:").replace("      stages:", "      stagse:")
    assert problems(tmp_path, text) == [
        "stages.yaml:1: outreech: unknown key; did you mean `outreach`?",
        "stages.yaml:10: capsule.boards[Sales].stagse: unknown key; did you mean `stages`?",
    ]


def test_a_name_left_empty_is_blank(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("- name: Won", "- name:")) == [
        "stages.yaml:5: outreach.stages[1].name: must not be blank"
    ]


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace("- name: Won", "- name: Lead").replace("- name: Proposal", "- name: Brief")
    assert problems(tmp_path, text) == [
        "stages.yaml:5: outreach.stages[1].name: duplicate stage name 'Lead' (first at stages[0])",
        "stages.yaml:12: capsule.boards[Sales].stages[1].name: duplicate stage name 'Brief' "
        "(first at stages[0])",
    ]


def test_the_same_name_on_two_boards_is_allowed(tmp_path: Path) -> None:
    text = GOOD + "    - name: Delivery\n      stages:\n        - name: Brief\n"
    spec = load_file(write(tmp_path, text))
    assert spec.capsule is not None and len(spec.capsule.boards) == 2


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "outreach:\n  stages:\n    - name: [Lead\n")
    assert problem.startswith("stages.yaml:4: not valid YAML:")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("2001-02-30", "cannot read '2001-02-30' (day is out of range for month)"),
        ("9" * 5000, f"cannot read '{'9' * 37}...' (Exceeds the limit (4300 digits)"),
    ],
)
def test_a_value_yaml_cannot_build_names_its_line(tmp_path: Path, value: str, says: str) -> None:
    """PyYAML raised these as a bare ValueError, a traceback with no file or line."""
    [problem] = problems(tmp_path, f"outreach:\n  stages:\n    - name: Lead\n    - name: {value}\n")
    assert problem.startswith(f"stages.yaml:4: not valid YAML: {says}"), problem


def test_python_declarations_are_checked_the_same_way() -> None:
    with pytest.raises(StageSetError) as caught:
        load_value({"outreach": {"stages": [{"name": "A"}, {"name": ""}]}}, "StageSet 'x'")
    assert caught.value.problems == ["StageSet 'x': outreach.stages[1].name: must not be blank"]
    stages = [{"name": "A", "color": "red"}, {"name": "A"}]
    with pytest.raises(StageSetError) as caught:
        load_value({"outreach": {"stages": stages}}, "StageSet 'x'")
    assert caught.value.problems == [
        "StageSet 'x': outreach.stages[0].color: must be a hex colour such as #5951ff, got 'red'",
        "StageSet 'x': outreach.stages[1].name: duplicate stage name 'A' (first at stages[0])",
    ]
    spec = StageSetSpec.model_validate({"outreach": {"stages": [{"name": "A"}, {"name": "A"}]}})
    with pytest.raises(StageSetError, match="duplicate stage name 'A'"):
        load_value(spec, "StageSet 'x'")


def test_shipped_schema_matches_the_models_and_the_cli_prints_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert shipped_schema_text() == json_schema_text()
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["outreach"]["anyOf"][0]["$ref"] == "#/$defs/OutreachSection"
    color = schema["$defs"]["OutreachStageSpec"]["properties"]["color"]
    assert color["pattern"] == "^#[0-9a-fA-F]{6}$"


def test_a_key_that_repeats_another_stages_name_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("- name: Won", "- name: Closed Won\n      key: Lead")
    assert problems(tmp_path, text) == [
        "stages.yaml:6: outreach.stages[1].key: duplicate stage key 'Lead' (first at stages[0])"
    ]


def test_yaml_slips_a_parser_accepts_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace('"#5951FF"', "#5951FF") + "outreach:\n  stages: []\n"
    assert problems(tmp_path, text) == [
        'stages.yaml:4: color is empty; quote it: color: "#5951ff"',
        "stages.yaml:14: 'outreach' appears twice in one mapping",
    ]


def test_a_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_bytes(b"outreach:\n  stages:\n    - name: \xff\n")
    with pytest.raises(StageSetError, match="not UTF-8 text"):
        load_file(path)
