"""Create recovery: a create that got no clear answer is retried only after looking for it.

A POST that fails without a clear answer (dropped connection, 5xx) may have been committed;
retrying blindly would make a duplicate, so each retry first looks for an object with the same
declared fields created after this create began. The client itself never repeats a POST.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .adoption import id_order
from .backend import Backend, Remote
from .errors import AmbiguousCreate, ApiError, ServerError, TransportError
from .http import RetryPolicy, wait_for

CLOCK_SKEW_SECONDS = 5.0
"""How far the API's clock may run behind ours when telling our create from an older object."""


def created_since(remote: Remote, moment: float) -> bool:
    """Whether the object was created at or after `moment`; true when the API gives no time."""
    created = remote.outs.get("created_at")
    if not isinstance(created, str):
        return True
    try:
        return datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp() >= moment
    except ValueError:
        return True


def already_created(
    api: str, backend: Backend, fields: Mapping[str, Any], started: float
) -> Remote | None:
    """The object an unanswered create made, if it made one: same declared fields, and created
    after this create began (less a clock-skew allowance), so an older look-alike is never
    claimed."""
    declared = {name: value for name, value in fields.items() if value is not None}
    matches = [
        remote
        for remote in backend.find(fields)
        if all(remote.outs.get(name) == value for name, value in declared.items())
        and created_since(remote, started - CLOCK_SKEW_SECONDS)
    ]
    if len(matches) > 1:
        ids = ", ".join(sorted((remote.id for remote in matches), key=id_order))
        raise AmbiguousCreate(
            f"{api} create had no clear answer and {len(matches)} objects now match "
            f"{declared}: ids {ids}; delete the extra ones, then run `pulumi up` again"
        )
    return matches[0] if matches else None


def _unanswered(exc: BaseException, policy: RetryPolicy) -> bool:
    """A failure that leaves the create's outcome unknown and is worth another attempt."""
    if isinstance(exc, ServerError) and exc.retry_after is not None:
        return exc.retry_after <= policy.max_server_wait
    return isinstance(exc, ServerError | TransportError)


def create(
    api: str, backend: Backend, fields: Mapping[str, Any], policy: RetryPolicy | None = None
) -> Remote:
    """Create the object, retrying an unanswered attempt only once a lookup finds nothing."""
    import tenacity  # noqa: PLC0415 - by a create only: a refresh or destroy never loads it

    started = time.time()
    policy = policy or RetryPolicy()
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.attempts),
        wait=lambda state: wait_for(state, policy),
        retry=tenacity.retry_if_exception(lambda exc: _unanswered(exc, policy)),
        reraise=True,
    )
    remote: Remote | None = None
    try:
        for attempt in retrying:
            with attempt:
                found = None
                if attempt.retry_state.attempt_number > 1:
                    found = already_created(api, backend, fields, started)
                remote = found or backend.create(fields)
    except ApiError as error:
        if retrying.statistics.get("attempt_number", 1) > 1:
            error.after_unanswered = True  # an earlier attempt may have created it after all
        raise
    assert remote is not None
    return remote
