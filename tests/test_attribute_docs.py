"""core.attribute_docs: a field's docstring read from source when the package schema asks."""

from __future__ import annotations

from pydantic import BaseModel

from pulumi_stages.core.attribute_docs import attribute_docs
from pulumi_stages.core.models import AdoptableInputs
from pulumi_stages.outreach.models import StageInputs


class Base(BaseModel):
    kept: int = 0
    """Said by the base."""
    replaced: int = 0
    """The base's word."""
    bare: int = 0


class Child(Base):
    replaced: int = 1
    """The child's word,
    on two lines."""


def test_a_field_gets_the_string_under_it_and_a_subclass_overrides_its_base() -> None:
    assert attribute_docs(Child) == {
        "kept": "Said by the base.",
        "replaced": "The child's word,\non two lines.",
    }


def test_the_stage_models_keep_their_field_docs_without_pydantic_reading_them() -> None:
    docs = attribute_docs(StageInputs)
    assert docs["adopt"].startswith("Take over an existing object with the same name")
    assert AdoptableInputs.model_fields["adopt"].description is None  # not paid at import
