"""One object of an API's answer, its fields read as the API documents them, without pydantic.

An adapter parses what the API sends back into state with `Answer` (in its `wire` module), so a
provider process that only reads or deletes never loads pydantic (`declared_inputs`). It takes
what pydantic's lax mode took (a whole number as 3, 3.0 or "3") and refuses the rest with one
`UnexpectedResponse` naming the API, the object and the field, never a state holding "3".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import UnexpectedResponse

_WHOLE = re.compile(r"\s*[-+]?[0-9]{1,18}\s*", re.ASCII)
"""A whole number as text, as pydantic's lax mode reads one (ASCII digits; 18 at most, so
`int()` never refuses it)."""


class Answer:
    """The fields of one object (`noun`: "stage", "board") of `api`'s answer."""

    def __init__(self, api: str, noun: str, fields: Mapping[str, Any]) -> None:
        self.api, self.noun, self.fields = api, noun, fields

    def whole(self, key: str) -> int:
        """A whole number the API always sends."""
        found = self.optional_whole(key)
        if found is None:
            raise self._unexpected(key, "a whole number")
        return found

    def optional_whole(self, key: str) -> int | None:
        """A whole number, or None when the API sends none."""
        value = self.fields.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _WHOLE.fullmatch(value):
            return int(value)
        raise self._unexpected(key, "a whole number")

    def text(self, key: str) -> str:
        """Text the API always sends."""
        found = self.optional_text(key)
        if found is None:
            raise self._unexpected(key, "text")
        return found

    def optional_text(self, key: str) -> str | None:
        """Text, or None when the API sends none."""
        value = self.fields.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._unexpected(key, "text")

    def _unexpected(self, key: str, expected: str) -> UnexpectedResponse:
        shown = repr(self.fields.get(key))
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return UnexpectedResponse(
            f"{self.api} answered a {self.noun} whose {key} is {shown}, not {expected}"
        )
