"""What a refresh may write back as a resource's inputs: only the fields its state declared.

`read` sees the state's outputs, which hold every field the account answers (a colour set by
hand on a stage that declares none). Written back as inputs, such a field made the next `up`
rewrite every such resource's inputs (one checkpoint each: 236 s against 23 s at 1,000 stages).
So `read` needs the state's inputs too: the engine sends them with every Read; the provider
package's door hands them over (`STATE_INPUTS`); the dynamic provider's servicer passes
`provider.read` the outputs only, so its request is found on the call stack, detected, never
assumed. When neither is found, `read` returns no inputs and the engine keeps the state's own.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pulumi.runtime import rpc

STATE_INPUTS: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "pulumi_stages_state_inputs", default=None
)
"""The inputs of the resource being read, as the engine's Read request carries them; set by a
door that sees the request (the provider package)."""

_SEARCH_DEPTH = 8
"""How many callers up `read` looks for the dynamic servicer's Read (an adapter's `read` that
calls core's adds one)."""


@contextmanager
def reading_with(inputs: Mapping[str, Any]) -> Iterator[None]:
    """While a door runs `read`: the state's inputs from its Read request."""
    token = STATE_INPUTS.set(dict(inputs))
    try:
        yield
    finally:
        STATE_INPUTS.reset(token)


def state_inputs() -> Mapping[str, Any] | None:
    """The state's inputs of the resource being read; {} when the engine sends none (an
    import); None when they cannot be found."""
    given = STATE_INPUTS.get()
    if given is not None:
        return given
    request = _servicer_request()
    if request is None:
        return None
    if not request.HasField("inputs"):
        return {}
    found: Any = rpc.deserialize_properties(request.inputs)
    return dict(found) if isinstance(found, Mapping) else None


def _servicer_request() -> Any:
    """The Read request of `pulumi.dynamic`'s servicer that called this `read` (pulumi 3.259
    names it `request`, a ReadRequest with `inputs`), or None on an SDK laid out otherwise."""
    frame = sys._getframe(1)
    for _ in range(_SEARCH_DEPTH):
        frame_or_none = frame.f_back
        if frame_or_none is None:
            return None
        frame = frame_or_none
        if frame.f_code.co_name != "Read":
            continue
        request = frame.f_locals.get("request")
        if type(request).__name__ == "ReadRequest" and hasattr(request, "HasField"):
            return request
    return None


def declared(fields: Iterable[str], state: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields the state's inputs set (an import's empty inputs declare them all: it takes
    the object as the account holds it)."""
    names = tuple(fields)
    if not state:
        return names
    return tuple(name for name in names if state.get(name) is not None)
