"""A resource's declared inputs, known by name, and the pydantic model that checks them.

Read, diff and delete need only the inputs' names; check, create and update validate with the
model. Naming the fields apart from the model keeps pydantic out of a provider process that only
reads or deletes (a refresh, a destroy): importing it and building the models costs about 60 ms,
most of what such a process adds to a provider that loads nothing.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

CONTROL_FIELDS = frozenset(
    {"adopt", "adopt_id", "retire", "keep", "moved_to", "moved_to_id", "ordered_by_set"}
)
"""Inputs that steer the provider and are never sent to an API or diffed: the fields of
`core.models.AdoptableInputs`, which every inputs model extends (that module checks they agree)."""


class DeclaredInputs:
    """The API fields a resource declares, and its inputs model, imported on first use.

    `model` is the model's dotted path (`"pulumi_stages.outreach.models.StageInputs"`). Loading it
    checks that its fields are exactly `CONTROL_FIELDS` and `api_fields`, so the two can never
    drift apart unnoticed.
    """

    def __init__(self, api_fields: Iterable[str], model: str) -> None:
        self.api_fields = tuple(api_fields)
        self.names = (*sorted(CONTROL_FIELDS), *self.api_fields)
        """Every input the model declares: the control fields, then the API fields."""
        self._path = model
        self._model: type[BaseModel] | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The model's class name, known without importing it."""
        return self._path.rpartition(".")[2]

    def model(self) -> type[BaseModel]:
        """The pydantic model (imported and checked once)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> type[BaseModel]:
        module, _, name = self._path.rpartition(".")
        model: type[BaseModel] = getattr(importlib.import_module(module), name)
        fields, declared = set(model.model_fields), set(self.names)
        if fields != declared:
            raise TypeError(
                f"{self._path} declares {sorted(fields - declared)} that its resource's "
                f"api_fields do not, and lacks {sorted(declared - fields)}"
            )
        return model

    def __reduce__(self) -> tuple[type[DeclaredInputs], tuple[tuple[str, ...], str]]:
        """Pickled as its fields and path (its lock and loaded model stay behind), should a
        provider class ever be pickled by value."""
        return (DeclaredInputs, (self.api_fields, self._path))

    def __repr__(self) -> str:
        return f"DeclaredInputs({self.api_fields!r}, model={self._path!r})"


def as_last_checked(
    names: Iterable[str], olds: Mapping[str, Any], news: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The inputs as check would return them, without validating, when the declaration is the
    state's: every field equal to the inputs the last check passed (and normalised) when they
    were written. None when anything differs (or there is no state): check then validates, and
    loads pydantic to do it. So a plan that changes no stage (a no-op preview, a move) never
    loads it; an unchanged declaration is not checked again against today's rules."""
    names = tuple(names)
    if not olds or any(news.get(name) != olds.get(name) for name in names):
        return None
    return {
        name: news.get(name)
        for name in names
        if not (name in CONTROL_FIELDS and news.get(name) in (None, False))
    }


def changed(olds: Mapping[str, Any], news: Mapping[str, Any], owned: Iterable[str]) -> list[str]:
    """The owned fields whose declared value differs from the last known one (None: left to
    the API, never a change)."""
    return [
        name for name in owned if news.get(name) is not None and news.get(name) != olds.get(name)
    ]
