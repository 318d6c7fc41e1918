"""HTTP for every adapter: a pooled httpx client per (API, base URL, token), errors, retries.

Adapters describe their wire dialect (content type, how error bodies read); this module owns the
rest, so a new API never re-implements auth, retries or the one-line error format.
"""

from __future__ import annotations

import email.utils
import ipaddress
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

from .errors import (
    ApiError,
    ConfigError,
    ForeignLink,
    RateLimited,
    ServerError,
    TransportError,
    error_class_for,
)
from .oauth import RefreshCredentials
from .ratelimit import AccountBudget, RateHeaders

if TYPE_CHECKING:  # httpx with the first request (`ApiClient._http`), tenacity once one fails
    import httpx
    import tenacity

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


def is_loopback(host: str | None) -> bool:
    """Whether a URL host is this machine: a loopback address (127.0.0.0/8, ::1) or localhost;
    a name that merely starts with "127." is not."""
    host = (host or "").lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure(url: str, what: str) -> None:
    """Refuse a URL credentials would travel to in clear text: https, or http on loopback only;
    and a URL carrying its own user and password, which errors would echo."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"{what} must be a plain https:// URL with a host, got {shown_url(url)!r}."
        )
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host)):
        return
    raise ConfigError(
        f"{what} must be an https:// URL (http:// is accepted only for 127.0.0.1 or localhost, "
        f"where the emulators run), got {shown_url(url)!r}; credentials are never sent in clear "
        "text."
    )


def require_base_url(url: str, what: str) -> None:
    """`require_secure`, and no `@`, query or fragment: a query would break every request
    (request paths are joined onto the base URL), an `@` is a user or password or hides the host
    the token goes to (`https://user:1234/x@host`), and errors name the base URL, which must carry
    none of what these may (a secret)."""
    require_secure(url, what)
    if any(mark in url for mark in "@?#"):  # a bare `?` too: httpx would put it on every path
        raise ConfigError(
            f"{what} must have no user, password, query or fragment (no @, ? or #), got "
            f"{shown_url(url)!r} (the rest is not shown: it may carry a secret)."
        )


def shown_url(url: str) -> str:
    """A URL as errors show it, without what may be a credential: nothing up to its last `@`
    (a user or password, wherever it ends), and no query or fragment."""
    scheme, sep, rest = url.partition("://")
    rest = (rest if sep else url).rsplit("@", 1)[-1]
    bare = rest.split("?", 1)[0].split("#", 1)[0]
    shown = f"{bare}..." if len(bare) < len(rest) else bare
    return f"{scheme}://{shown}" if sep else shown


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of a URL, the port made explicit (443 for https, 80 for http); a
    URL that does not parse has no origin anything could match."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ("", "", None)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port or default)


@dataclass(frozen=True)
class Endpoint:
    """Where an API lives and how to authenticate; secrets never show in repr or errors.

    `refresh`, when given, lets the client mint a new access token once `token` expires. The base
    URL must be https (or http on loopback), so a token never travels in clear text.
    """

    api: str
    base_url: str
    token: str = field(repr=False)
    refresh: RefreshCredentials | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        require_base_url(self.base_url, f"The {self.api} base URL")


class Dialect(Protocol):
    """How one API speaks: its display name, content type, error bodies and rate-limit headers."""

    api: str
    content_type: str
    rate_headers: RateHeaders

    def error_details(self, response: httpx.Response) -> tuple[str, str | None]:
        """The API's own message and error code from an error response."""
        ...

    def hint(self, status: int, code: str | None, message: str) -> str | None:
        """What the user can do about an error, or None."""
        ...


REQUEST_TIMEOUT_SECONDS = 30.0
"""The longest one request may take to answer once sent."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, jittered backoff bounds, and the longest wait a server may ask."""

    attempts: int = 5
    backoff_initial: float = 0.2
    backoff_max: float = 8.0
    max_server_wait: float = 120.0


EPOCH_THRESHOLD = 1_000_000_000.0
"""A bare number this large in Retry-After is an epoch time (a 31-year wait is not meant)."""


def retry_after_seconds(value: str, now: float) -> float | None:
    """Seconds to wait from a Retry-After value in any form APIs send: delta-seconds, an HTTP
    date (RFC 9110), an ISO 8601 timestamp, or an epoch time; None when it is none of them."""
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if math.isnan(number) or number < 0:
            return None
        return max(0.0, number - now) if number >= EPOCH_THRESHOLD else number
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def server_wait(response: httpx.Response, headers: RateHeaders) -> float | None:
    """Seconds to wait after a 429 or 503: Retry-After in any documented form, else until the
    rate window resets when the API reports no budget left; None when it says neither."""
    now = time.time()
    value = response.headers.get("Retry-After")
    if value:
        seconds = retry_after_seconds(value, now)
        if seconds is not None:
            return seconds
    window = headers.read(response.headers, now)
    if window is not None and window.remaining == 0:
        return max(0.0, window.reset_at - now)
    return None


class ApiClient:
    """A thread-safe client for one endpoint: sends requests, maps errors, retries safe failures."""

    def __init__(
        self,
        endpoint: Endpoint,
        dialect: Dialect,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.dialect = dialect
        self.retry = retry or RetryPolicy()
        self.budget = AccountBudget(max_wait=self.retry.max_server_wait)
        self._transport = transport
        self._session: httpx.Client | None = None
        self._session_lock = threading.Lock()
        self._closed = False
        self.answered = False
        """Whether a request through this client has had a success: the token is good."""

    @property
    def _http(self) -> httpx.Client:
        """The pooled httpx client, made by the first request: a provider process that only
        checks and diffs (a preview with nothing to read) never loads httpx (~0.1 CPU-s)."""
        session = self._session
        if session is None:
            with self._session_lock:
                session = self._session = self._session or self._open()
        return session

    def _open(self) -> httpx.Client:
        if self._closed:  # as httpx refuses a closed client, rather than open a pool no one closes
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        import httpx  # noqa: PLC0415 - see `_http`

        from .refreshing_auth import RefreshingAuth  # noqa: PLC0415
        from .transport import TlsOnFirstUse  # noqa: PLC0415

        return httpx.Client(
            base_url=self.endpoint.base_url.rstrip("/"),
            auth=RefreshingAuth(self.dialect.api, self.endpoint.token, self.endpoint.refresh),
            headers={
                "Accept": self.dialect.content_type,
                "Content-Type": self.dialect.content_type,
                "User-Agent": "pulumi-stages/0.1",
            },
            timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=10.0),
            transport=self._transport or TlsOnFirstUse(),
        )

    def close(self) -> None:
        """Release the connection pool (if a request ever made one)."""
        with self._session_lock:
            self._closed = True
            if self._session is not None:
                self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one call, retrying what is safe to retry; raise a StagesError on failure.

        `idempotent` declares whether sending the call twice does no harm; by default it follows
        the method (GET, PUT, PATCH, DELETE are; POST is not). A search or a read sent as POST
        is idempotent and says so, so it is retried under the same budget and backoff."""
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        try:
            return self._send_once(method, path, json, params)
        except Exception as exc:
            if not self._retryable(safe, exc):
                raise
            first = exc
        return self._retried(first, safe, lambda: self._send_once(method, path, json, params))

    def _retried(
        self, first: Exception, safe: bool, send: Callable[[], httpx.Response]
    ) -> httpx.Response:
        """The attempts after a first that failed and may be retried, as tenacity paces them:
        it is handed that first failure as its attempt 1, so it waits and counts as if it had
        made it (and only a call that failed loads tenacity, about 6 ms a process)."""
        import tenacity  # noqa: PLC0415 - only once a call has failed

        unsent = [first]

        def attempt() -> httpx.Response:
            if unsent:
                raise unsent.pop()
            return send()

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(lambda exc: self._retryable(safe, exc)),
            reraise=True,
        )
        return retrying(attempt)

    def _send_once(
        self, method: str, path: str, json: Any, params: Mapping[str, str | int] | None
    ) -> httpx.Response:
        import httpx  # noqa: PLC0415 - see `_http`

        http = self._http
        self.budget.acquire()
        try:
            response = http.request(method, path, json=json, params=params)
            self.budget.observe(self.dialect.rate_headers.read(response.headers, time.time()))
        except httpx.TransportError as exc:
            raise TransportError(
                self.dialect.api, method, path, _describe(exc), self.endpoint.base_url
            ) from None
        finally:
            self.budget.release()
        if response.status_code >= 400:
            raise self._error(method, path, response)
        self.answered = True
        return response

    def _error(self, method: str, path: str, response: httpx.Response) -> ApiError:
        message, code = self.dialect.error_details(response)
        status = response.status_code
        waits = status in (429, 503)
        retry_after = server_wait(response, self.dialect.rate_headers) if waits else None
        cls = error_class_for(status)
        return cls(
            self.dialect.api,
            method,
            path,
            status,
            message,
            code=code,
            hint=self.dialect.hint(status, code, message),
            retry_after=retry_after,
        )

    def _retryable(self, idempotent: bool, exc: BaseException) -> bool:
        """A 429 was refused unprocessed, so any call is retried after the wait; a 5xx or a
        lost connection is retried here only for idempotent calls: a create may have been
        committed, so only create recovery (which looks first) may send it again."""
        if isinstance(exc, RateLimited):
            return exc.retry_after is None or exc.retry_after <= self.retry.max_server_wait
        if not idempotent:
            return False
        if isinstance(exc, ServerError) and exc.retry_after is not None:
            return exc.retry_after <= self.retry.max_server_wait
        return isinstance(exc, ServerError | TransportError)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return wait_for(state, self.retry)

    def next_page(self, link: str) -> str:
        """A next-page link the API sent, made absolute; refused unless it has exactly the base
        URL's scheme, host and port, since following it sends the token."""
        absolute = urljoin(self.endpoint.base_url + "/", link)
        if origin(absolute) != origin(self.endpoint.base_url):
            shown = urlsplit(absolute)
            raise ForeignLink(
                f"{self.dialect.api} sent a next-page link to {shown.scheme}://{shown.netloc}, "
                f"not to {self.endpoint.base_url}; refusing to send the token there"
            )
        return absolute


def wait_for(state: tenacity.RetryCallState, policy: RetryPolicy) -> float:
    """How long to wait before the next attempt: what the server asked, else jittered backoff."""
    import tenacity  # noqa: PLC0415 - loaded by the request that is being retried

    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, ApiError) and exc.retry_after is not None:
        return exc.retry_after
    backoff = tenacity.wait_random_exponential(
        multiplier=policy.backoff_initial, max=policy.backoff_max
    )
    return float(backoff(state))


def _describe(exc: httpx.TransportError) -> str:
    """A short, token-free description of a transport failure."""
    import httpx  # noqa: PLC0415 - loaded: the failure came from it

    if isinstance(exc, httpx.LocalProtocolError):  # its text can quote a header, token included
        return "the request could not be sent (a header or the body is malformed)"
    kind = type(exc).__name__
    text = str(exc) or kind
    return text if kind.lower() in text.lower() else f"{kind}: {text}"
