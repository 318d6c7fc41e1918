"""Load a value once while other threads wait for it, with no lock held during the load.

The provider process serves four gRPC calls at a time. When several need the same listing or
account identity, one thread fetches it and the others wait on an event, not on a lock held
across network I/O, so a slow API never blocks unrelated work behind a mutex.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Flight(Generic[T]):
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None


class SingleFlight(Generic[T]):
    """One load at a time per instance; concurrent callers share its result or its error."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flight: _Flight[T] | None = None

    def run(self, load: Callable[[], T]) -> T:
        """The result of `load`, run by this thread or by the one already running it."""
        with self._lock:
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if not leader:
            flight.done.wait()
        else:
            try:
                flight.value = load()
            except BaseException as error:
                flight.error = error
            finally:
                with self._lock:
                    self._flight = None
                flight.done.set()
        if flight.error is not None:
            raise flight.error
        return flight.value  # type: ignore[return-value]
