"""An API's answer read into state without pydantic (`core.answers`, the adapters' `wire`): what
pydantic's lax mode took still reads the same, and anything else is one clear error naming the
field, never a state holding a number as text."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from pulumi_stages.capsule.wire import StageRecord as CapsuleStage
from pulumi_stages.core.answers import Answer
from pulumi_stages.core.declared_inputs import DeclaredInputs
from pulumi_stages.core.errors import UnexpectedResponse
from pulumi_stages.outreach.wire import StageRecord as OutreachStage


@pytest.mark.parametrize("sent", [3, 3.0, "3", " 3 "])
def test_a_whole_number_reads_as_pydantic_read_it(sent: Any) -> None:
    found = Answer("Outreach", "stage", {"order": sent}).optional_whole("order")
    assert found == 3 and type(found) is int


@pytest.mark.parametrize("sent", [True, 3.5, "3.5", "three", [3], "\u0663", "9" * 19])
def test_anything_else_is_refused_naming_the_field(sent: Any) -> None:
    with pytest.raises(UnexpectedResponse) as refused:
        Answer("Outreach", "stage", {"order": sent}).optional_whole("order")
    assert str(refused.value) == (
        f"Outreach answered a stage whose order is {sent!r}, not a whole number"
    )


def test_missing_fields_are_none_unless_the_api_always_sends_them() -> None:
    answer = Answer("Capsule", "stage", {"name": "Lead"})
    assert answer.optional_whole("displayOrder") is None
    assert answer.optional_text("description") is None
    with pytest.raises(UnexpectedResponse, match="whose id is None, not a whole number"):
        answer.whole("id")
    with pytest.raises(UnexpectedResponse, match="whose name is 7, not text"):
        Answer("Capsule", "stage", {"name": 7}).text("name")


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(UnexpectedResponse) as refused:
        Answer("Outreach", "stage", {"name": ["x" * 500]}).text("name")
    assert len(str(refused.value)) < 120


def test_an_outreach_stage_keeps_whole_numbers_as_numbers() -> None:
    resource = {"id": "12", "attributes": {"name": "Lead", "order": "3", "color": "#ABCDEF"}}
    stage = OutreachStage.from_resource(resource)
    assert (stage.id, stage.order) == (12, 3)
    assert stage.outputs()["color"] == "#abcdef"
    with pytest.raises(UnexpectedResponse, match="Outreach answered a stage whose name is None"):
        OutreachStage.from_resource({"id": 1, "attributes": {"name": None}})


def test_a_capsule_stage_reads_its_board() -> None:
    stage = CapsuleStage.from_json(
        {"id": 5, "name": "Won", "board": {"id": "9", "name": "Sales"}, "displayOrder": 2.0}
    )
    assert stage.outputs() == {
        "name": "Won",
        "board": "Sales",
        "description": None,
        "display_order": 2,
        "stage_id": 5,
        "board_id": "9",
        "created_at": None,
        "updated_at": None,
    }
    with pytest.raises(UnexpectedResponse, match="Capsule answered a stage's board whose id"):
        CapsuleStage.from_json({"id": 5, "name": "Won", "board": {"id": "nine"}})


def test_declared_inputs_pickle_as_their_fields_and_path() -> None:
    declared = DeclaredInputs(
        ("name", "color", "order"), "pulumi_stages.outreach.models.StageInputs"
    )
    declared.model()  # holds a lock and, now, the model: neither travels
    copied = pickle.loads(pickle.dumps(declared))
    assert (copied.api_fields, copied.names) == (declared.api_fields, declared.names)
    assert copied.model() is declared.model()
