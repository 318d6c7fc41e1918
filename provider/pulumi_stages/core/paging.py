"""Listings page by page: each answer names the next page (in a `Link` header, or a link in its
body), which is followed through the client, so a next page off the API's origin is refused
before the token goes there. A filter sent as POST is sent again, body and all, for each page.
An API that pages by cursor (the client sends back an opaque `after`) is read the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .http import ApiClient

if TYPE_CHECKING:
    import httpx


@dataclass
class Page:
    """One answer of a listing; its JSON body is parsed once, on first use."""

    response: httpx.Response
    _body: Any = field(default=None, init=False, repr=False)

    @property
    def body(self) -> Any:
        """The answer's JSON."""
        if self._body is None:
            self._body = self.response.json()
        return self._body

    def items(self, key: str) -> list[Any]:
        """The list the body holds under `key` (none when it is missing or null)."""
        found = self.body.get(key) if isinstance(self.body, dict) else None
        return list(found or [])


NextLink = Callable[[Page], str | None]
"""Where a page says the next one is (a URL or a path), or None on the last page."""


def link_header(page: Page) -> str | None:
    """The next page from a `Link: <url>; rel="next"` header (RFC 8288)."""
    return page.response.links.get("next", {}).get("url")


def body_link(*keys: str) -> NextLink:
    """The next page from a link in the JSON body, under `keys` (e.g. `links`, `next`)."""

    def following(page: Page) -> str | None:
        value: Any = page.body
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return str(value) if value else None

    return following


def follow_pages(
    client: ApiClient,
    path: str,
    next_link: NextLink,
    *,
    params: Mapping[str, str | int] | None = None,
    method: str = "GET",
    json: Any = None,
    idempotent: bool | None = None,
) -> Iterator[Page]:
    """Every page of a listing, the first from `path` and `params`, the others from the links
    the pages give (which carry their own query)."""
    url, query = path, params
    while True:
        page = Page(client.request(method, url, params=query, json=json, idempotent=idempotent))
        yield page
        following = next_link(page)
        if not following:
            return
        url, query = client.next_page(following), None


Cursor = Callable[[Any], str | None]
"""The cursor a page's body gives for the next page, or None on the last page."""


def follow_cursor(fetch: Callable[[str | None], Any], cursor: Cursor) -> Iterator[Any]:
    """Every page of a listing paged by an opaque cursor the client sends back (HubSpot's
    `after`, in a query or a search body): `fetch(None)` reads the first page, `fetch(c)` the
    one after cursor `c`; stop reading by leaving the loop."""
    after: str | None = None
    while True:
        page = fetch(after)
        yield page
        after = cursor(page)
        if not after:
            return


def after_cursor(body: Any) -> str | None:
    """The cursor of a `{"paging": {"next": {"after": ...}}}` body (HubSpot's), or None."""
    paging = body.get("paging") if isinstance(body, dict) else None
    after = ((paging or {}).get("next") or {}).get("after")
    return str(after) if after else None
