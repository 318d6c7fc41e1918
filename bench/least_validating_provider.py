"""`LeastStageProvider` in a module that defines a pydantic model of a stage's inputs.

A provider whose pickled class's module imports pydantic (ours did until its inputs models moved
out of its stage modules, loaded by check only: `core.declared_inputs`) loads pydantic in every
provider process, even a refresh's, which validates nothing. This module costs a refresh the
least of that: the model's validator is built only when first used (`defer_build`), which a
refresh never does, so what is left is loading pydantic and defining the class. It shows what
keeping the models out of a refresh's process saves.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bench.least_provider import LeastStageProvider


class StageInputs(BaseModel):
    """An Outreach stage's declared inputs, as a provider would check them."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str
    color: str | None = None
    order: int | None = None
    ordered_by_set: bool = False


class LeastValidatingStageProvider(LeastStageProvider):
    """`LeastStageProvider`, pickled by reference to this module (which loads pydantic)."""

    inputs_model = StageInputs
