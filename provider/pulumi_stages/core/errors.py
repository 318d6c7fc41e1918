"""One exception tree for everything pulumi-stages raises, each rendering as one readable line."""

from __future__ import annotations


class StagesError(Exception):
    """Base of every error pulumi-stages raises on purpose; its text is safe to show a user."""


class ConfigError(StagesError):
    """Credentials or a base URL are missing or malformed."""


class InvalidInputs(StagesError):
    """A write's inputs fail the model that check passed them by: state written by an older
    release with looser rules (check takes an unchanged declaration as it was written)."""


class AccountUnreadable(StagesError):
    """A check the preview makes could not read the account; `up` would fail the same way."""


class WrongAccount(StagesError):
    """The token belongs to another account than the stack's `expectedAccount`."""


class ForeignLink(StagesError):
    """The API sent a next-page link to another origin; following it would leak the token."""


class AdoptionError(StagesError):
    """`adopt` or `adopt_id` cannot pick the object to take over."""


class AmbiguousAdoption(AdoptionError):
    """More than one existing object matches `adopt`; `adopt_id` must name one."""


class AdoptionTargetMissing(AdoptionError):
    """`adopt_id` names an object the account does not have."""


class AmbiguousCreate(StagesError):
    """A create had no clear answer and more than one new object now matches it."""


class ContainerNotFound(StagesError):
    """A container the declaration names (a board, a pipeline) is missing or named twice."""


class RecordsInStage(StagesError):
    """A stage to delete still holds records and the declaration says nothing about them."""


class MoveStalled(RecordsInStage):
    """Records did not leave their stage after being moved (something puts them back)."""


class StagesMissing(StagesError):
    """Stages an ordering resource positions are no longer in the account."""


class NotEditable(StagesError):
    """The API cannot change this kind of object in place; a change must replace it."""


class UnexpectedResponse(StagesError):
    """The API answered successfully but without something it documents (a field, a header)."""


class TransportError(StagesError):
    """The API could not be reached or did not answer (connection refused, reset, timeout).

    The message names the base URL tried: a refresh configures the provider from the config
    kept in state, which may be older than the stack's (a moved emulator, a new host)."""

    def __init__(self, api: str, method: str, path: str, reason: str, base_url: str = "") -> None:
        self.api = api
        self.method = method
        self.path = path
        self.reason = reason
        self.base_url = base_url
        where = f" at {base_url}" if base_url else ""
        super().__init__(f"{api}{where} did not answer {method} {path}: {reason}")


class ApiError(StagesError):
    """The API answered with an error status; carries the API's own message and error code.

    `retry_after` is the wait in seconds the API asked for (429, 503), when it said one.
    """

    def __init__(
        self,
        api: str,
        method: str,
        path: str,
        status: int,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.api = api
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.code = code
        self.hint = hint
        self.retry_after = retry_after
        self.after_unanswered = False
        """Set when an earlier attempt of the same operation got no clear answer: then even a
        refusal does not prove that nothing changed."""
        super().__init__(self._line())

    def _line(self) -> str:
        detail = f"{self.status} {self.code}" if self.code else str(self.status)
        line = f"{self.api} rejected {self.method} {self.path}: {self.message} ({detail})"
        return f"{line}; {self.hint}" if self.hint else line


class BadRequest(ApiError):
    """400 or 415: the request was malformed; a bug in the client or an API change."""


class Unauthorized(ApiError):
    """401: the access token is missing, invalid or expired."""


class Forbidden(ApiError):
    """403: the token lacks a scope or role needed for this call."""


class NotFound(ApiError):
    """404: the object does not exist (deleted, or never existed in this account)."""


class Conflict(ApiError):
    """409: the request conflicts with the object's current state."""


class ValidationFailed(ApiError):
    """422: the API refused the values; the message names the field."""


class RateLimited(ApiError):
    """429: the account's request budget is spent; `retry_after` says for how long, if known."""


class ServerError(ApiError):
    """5xx: the API failed or is under maintenance; usually worth retrying."""


class DeleteRefused(StagesError):
    """The API refused to delete an object; it is kept, in the account and in state."""

    def __init__(self, message: str, refusal: ApiError) -> None:
        super().__init__(message)
        self.refusal = refusal
        """The API's own refusal."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    415: BadRequest,
    422: ValidationFailed,
    429: RateLimited,
}


def error_class_for(status: int) -> type[ApiError]:
    """The most specific ApiError subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)
