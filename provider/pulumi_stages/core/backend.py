"""What an adapter implements: the calls against its API, in terms the generic provider uses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .errors import NotFound
from .http import ApiClient

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Remote:
    """An object as the API holds it: its id and the outputs to keep in state."""

    id: str
    outs: dict[str, Any]


class Backend(Protocol):
    """The four calls an adapter implements against its API."""

    def create(self, inputs: Mapping[str, Any]) -> Remote:
        """Create the object and return it as the API answered."""
        ...

    def read(self, id_: str) -> Remote | None:
        """The object as the API holds it now, or None if it is gone."""
        ...

    def update(self, id_: str, changes: Mapping[str, Any]) -> Remote:
        """Send only the changed fields and return the object as the API answered."""
        ...

    def delete(self, id_: str) -> None:
        """Delete the object; one that is already gone counts as deleted."""
        ...

    def find(self, inputs: Mapping[str, Any]) -> list[Remote]:
        """Objects that could be the one these inputs describe (same name), for recovery."""
        ...

    def list_all(self) -> Iterator[Remote]:
        """Every object of this kind in the account, following pagination."""
        ...


def fetch_or_none(client: ApiClient, path: str) -> httpx.Response | None:
    """GET an object; None when the API says it is gone (404)."""
    try:
        return client.request("GET", path)
    except NotFound:
        return None


def delete_if_present(
    client: ApiClient, path: str, params: Mapping[str, str | int] | None = None
) -> None:
    """DELETE an object (with the query the API asks, e.g. a validate flag); one that is
    already gone (404) counts as deleted."""
    try:
        client.request("DELETE", path, params=params)
    except NotFound:
        return
