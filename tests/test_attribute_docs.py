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
    kept: int = 1  # redeclared without a docstring: pydantic gave it none


def test_a_field_gets_the_string_under_it_and_a_subclass_overrides_or_clears_its_bases() -> None:
    assert attribute_docs(Child) == {"replaced": "The child's word,\non two lines."}
    assert attribute_docs(Base) == {"kept": "Said by the base.", "replaced": "The base's word."}


def test_a_model_declared_in_a_function_with_a_docstring_line_at_column_0() -> None:
    class Nested(BaseModel):
        field: int = 0
        """First line,
second line at column 0."""

    assert attribute_docs(Nested) == {"field": "First line,\nsecond line at column 0."}


def test_the_stage_models_keep_their_field_docs_without_pydantic_reading_them() -> None:
    docs = attribute_docs(StageInputs)
    assert docs["adopt"].startswith("Take over an existing object with the same name")
    assert AdoptableInputs.model_fields["adopt"].description is None  # not paid at import
