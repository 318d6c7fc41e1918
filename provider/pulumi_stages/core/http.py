"""HTTP for every adapter: a pooled httpx client per (API, base URL, token), errors, retries.

Adapters describe their wire dialect (content type, how error bodies read); this module owns the
rest, so a new API never re-implements auth, retries or the one-line error format.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import tenacity

from .errors import ApiError, RateLimited, ServerError, TransportError, error_class_for
from .oauth import RefreshCredentials, RefreshingAuth
from .ratelimit import AccountBudget

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Endpoint:
    """Where an API lives and how to authenticate; secrets never show in repr or errors.

    `refresh`, when given, lets the client mint a new access token once `token` expires.
    """

    api: str
    base_url: str
    token: str = field(repr=False)
    refresh: RefreshCredentials | None = field(default=None, repr=False)


class Dialect(Protocol):
    """How one API speaks: its display name, content type and error bodies."""

    api: str
    content_type: str

    def error_details(self, response: httpx.Response) -> tuple[str, str | None]:
        """The API's own message and error code from an error response."""
        ...

    def hint(self, status: int, code: str | None, message: str) -> str | None:
        """What the user can do about an error, or None."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, jittered backoff bounds, and the longest wait a server may ask."""

    attempts: int = 5
    backoff_initial: float = 0.2
    backoff_max: float = 8.0
    max_server_wait: float = 120.0


def _parse_retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date), else until X-RateLimit-Reset when
    no budget remains; None when the response says neither (then backoff decides)."""
    value = response.headers.get("Retry-After")
    if value:
        if value.strip().isdigit():
            return float(value)
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - time.time())
    reset = response.headers.get("X-RateLimit-Reset")
    spent = response.headers.get("X-RateLimit-Remaining", "").strip() == "0"
    if spent and reset and reset.strip().isdigit():
        return max(0.0, float(reset) - time.time())
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
        self._http = httpx.Client(
            base_url=endpoint.base_url.rstrip("/"),
            auth=RefreshingAuth(dialect.api, endpoint.token, endpoint.refresh),
            headers={
                "Accept": dialect.content_type,
                "Content-Type": dialect.content_type,
                "User-Agent": "pulumi-stages/0.1",
            },
            timeout=httpx.Timeout(30.0, connect=10.0),
            transport=transport,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Response:
        """Send one call, retrying what is safe to retry; raise a StagesError on failure."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(lambda exc: self._retryable(method, exc)),
            reraise=True,
        )
        return retrying(self._send_once, method, path, json, params)

    def _send_once(
        self, method: str, path: str, json: Any, params: Mapping[str, str | int] | None
    ) -> httpx.Response:
        self.budget.acquire()
        try:
            response = self._http.request(method, path, json=json, params=params)
            self.budget.observe(response.headers)
        except httpx.TransportError as exc:
            raise TransportError(self.dialect.api, method, path, _describe(exc)) from None
        finally:
            self.budget.release()
        if response.status_code >= 400:
            raise self._error(method, path, response)
        return response

    def _error(self, method: str, path: str, response: httpx.Response) -> ApiError:
        message, code = self.dialect.error_details(response)
        status = response.status_code
        retry_after = _parse_retry_after(response) if status in (429, 503) else None
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

    def _retryable(self, method: str, exc: BaseException) -> bool:
        if isinstance(exc, RateLimited):
            return exc.retry_after is None or exc.retry_after <= self.retry.max_server_wait
        if isinstance(exc, ServerError) and exc.status == 503 and exc.retry_after is not None:
            return exc.retry_after <= self.retry.max_server_wait
        if method not in IDEMPOTENT_METHODS:
            return False
        return isinstance(exc, ServerError | TransportError)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ApiError) and exc.retry_after is not None:
            return exc.retry_after
        backoff = tenacity.wait_random_exponential(
            multiplier=self.retry.backoff_initial, max=self.retry.backoff_max
        )
        return float(backoff(state))


def _describe(exc: httpx.TransportError) -> str:
    """A short, token-free description of a transport failure."""
    if isinstance(exc, httpx.LocalProtocolError):  # its text can quote a header, token included
        return "the request could not be sent (a header or the body is malformed)"
    kind = type(exc).__name__
    text = str(exc) or kind
    return text if kind.lower() in text.lower() else f"{kind}: {text}"


class ClientPool:
    """Shares one ApiClient per (dialect, endpoint) across the provider process's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, Endpoint], ApiClient] = {}

    def get(self, endpoint: Endpoint, make: Callable[[], ApiClient]) -> ApiClient:
        """The pooled client for this endpoint, made on first use."""
        key = (endpoint.api, endpoint)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = make()
                self._clients[key] = client
            return client


CLIENTS = ClientPool()
