"""The generic dynamic provider: check, diff, create, read, update, delete over a small backend.

An adapter supplies a pydantic inputs model, a wire dialect and a backend that talks to its API;
this class turns them into Pulumi's ResourceProvider contract. It holds no credentials when
pickled: `configure` hands it the stack config inside the provider process, and the endpoint is
resolved from that (or the environment) on first use.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
import tenacity
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pydantic import BaseModel, ValidationError

from .backend import Backend, Remote
from .config import ApiSettings, StackConfig, expected_account, resolve_endpoint
from .errors import ConfigError, ServerError, StagesError, TransportError
from .http import CLIENTS, ApiClient, Dialect, Endpoint, RetryPolicy
from .listing import LISTINGS
from .models import CONTROL_FIELDS

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The value Pulumi's Python runtime gives an input that is not known yet (during preview)."""

PROVIDER_KEY = "__provider"


def format_failures(error: ValidationError, unknown: frozenset[str]) -> list[CheckFailure]:
    """One CheckFailure per bad field, named by its path, skipping fields not known yet."""
    failures = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        if path in unknown:
            continue
        failures.append(CheckFailure(path, f"{path}: {item['msg']}"))
    return failures


CLOCK_SKEW_SECONDS = 5.0
"""How far the API's clock may run behind ours when telling our create from an older object."""


def _created_since(remote: Remote, moment: float) -> bool:
    """Whether the object was created at or after `moment`; true when the API gives no time."""
    created = remote.outs.get("created_at")
    if not isinstance(created, str):
        return True
    try:
        return datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp() >= moment
    except ValueError:
        return True


class _HideStagesErrorTracebacks(logging.Filter):
    """Drops gRPC's traceback log for errors raised on purpose: their one line reaches the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StagesError)


logging.getLogger("grpc._server").addFilter(_HideStagesErrorTracebacks())


_ACCOUNTS: dict[Endpoint, str] = {}
_ACCOUNTS_LOCK = threading.Lock()


class ApiResourceProvider(ResourceProvider):
    """A dynamic provider for one kind of object in one API, driven by an adapter's backend."""

    settings: ClassVar[ApiSettings]
    dialect: ClassVar[Dialect]
    inputs_model: ClassVar[type[BaseModel]]
    replace_on: ClassVar[frozenset[str]] = frozenset()
    position_field: ClassVar[str | None] = None
    """The input holding the object's position, which a stage set's ordering resource owns."""
    identity_fields: ClassVar[tuple[str, ...]] = ("name",)
    """The inputs that pick out the object `adopt` takes over (a name, and a board for Capsule)."""
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._config: StackConfig | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config = None

    @abstractmethod
    def make_backend(self, client: ApiClient) -> Backend:
        """The adapter's backend over a pooled client."""

    def configure(self, req: ConfigureRequest) -> None:
        self._config = req.config

    def endpoint(self) -> Endpoint:
        """The configured account's endpoint."""
        return resolve_endpoint(self.settings, self._config)

    def backend(self, endpoint: Endpoint | None = None) -> Backend:
        """The backend for the configured account, sharing one client per endpoint; every
        read and write goes through here, so each is behind the account guard."""
        endpoint = endpoint or self.endpoint()
        self.guard_account(endpoint)
        return self.make_backend(self.client(endpoint))

    def client(self, endpoint: Endpoint) -> ApiClient:
        """The pooled client for an endpoint."""
        return CLIENTS.get(endpoint, lambda: ApiClient(endpoint, self.dialect))

    @classmethod
    def listing_kind(cls) -> str:
        """Which kind of object this provider's listing cache holds."""
        return cls.__qualname__

    @contextmanager
    def _writing(self) -> Iterator[Backend]:
        """The backend for a write; the account's cached listing is retired before and after,
        so a listing fetched while the write is under way cannot outlive it."""
        endpoint = self.endpoint()
        key = (endpoint, self.listing_kind())
        LISTINGS.invalidate(key)
        try:
            yield self.backend(endpoint)
        finally:
            LISTINGS.invalidate(key)

    @classmethod
    def input_names(cls) -> tuple[str, ...]:
        """The declared input fields, in model order."""
        return tuple(cls.inputs_model.model_fields)

    @classmethod
    def api_fields(cls) -> tuple[str, ...]:
        """The inputs that are the API object's fields (not adoption switches)."""
        return tuple(name for name in cls.input_names() if name not in CONTROL_FIELDS)

    def _validated(self, props: Mapping[str, Any]) -> dict[str, Any]:
        raw = {name: props.get(name) for name in self.input_names() if name in props}
        model = self.inputs_model.model_validate(raw)
        return model.model_dump()

    def _fields(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {name: inputs[name] for name in self.api_fields() if name in inputs}

    def guard_account(self, endpoint: Endpoint | None = None) -> None:
        """Fail before any call that reads or writes stages when the stack names an account
        (`expectedAccount`) and the token belongs to another. Asked once per provider process
        and endpoint; `check` asks first, so a preview fails before anything else."""
        expected = expected_account(self.settings, self._config)
        if not expected:
            return
        key = self.settings.key("expectedAccount")
        identify = self.settings.identify
        if identify is None:
            raise ConfigError(
                f"{key} is set, but the {self.settings.api} API offers no way to tell which "
                f"account a token belongs to; remove {key}."
            )
        endpoint = endpoint or self.endpoint()
        with _ACCOUNTS_LOCK:
            actual = _ACCOUNTS.get(endpoint)
            if actual is None:
                actual = _ACCOUNTS[endpoint] = identify(self.client(endpoint))
        if actual != expected:
            raise StagesError(
                f"wrong {self.settings.api} account: the token belongs to {actual!r} but {key} "
                f"is {expected!r}; nothing was changed. Check {self.settings.token_key} and "
                f"{self.settings.base_url_key} for this stack."
            )

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self.guard_account()
        raw = {name: news[name] for name in self.input_names() if name in news}
        unknown = frozenset(name for name, value in raw.items() if value == UNKNOWN)
        known = {name: value for name, value in raw.items() if name not in unknown}
        try:
            model = self.inputs_model.model_validate(known)
        except ValidationError as error:
            failures = format_failures(error, unknown)
            return CheckResult(raw, failures)
        inputs = model.model_dump()
        for name in CONTROL_FIELDS:  # unset switches would only clutter every preview
            if inputs.get(name) in (None, False):
                inputs.pop(name, None)
        if olds.get("adopts"):
            inputs["adopts"] = olds["adopts"]  # kept, so no preview shows it going away
        elif inputs.get("adopt") and not olds and not unknown:
            note = self._adoption_note(inputs)
            if note:
                inputs["adopts"] = note
        inputs.update({name: UNKNOWN for name in unknown})
        return CheckResult(inputs, [])

    def _adoption_note(self, inputs: Mapping[str, Any]) -> str | None:
        """For the preview: the existing object `adopt` will take over and how it differs.

        A create shows in the preview as a create even when it will adopt, so this line (an extra
        input, never diffed or sent) says what will really happen. It reads one listing of the
        account per provider process, apart from the one writes retire; None when nothing
        matches (a plain create) or the listing cannot be read.
        """
        try:
            endpoint = self.endpoint()
            backend = self.backend(endpoint)
            key = (endpoint, f"{self.listing_kind()}:adoption")
            listed = LISTINGS.snapshot(key, lambda: self.adoption_candidates(backend))
        except StagesError:
            return None
        wanted = {name: inputs.get(name) for name in self.identity_fields}
        matches = [r for r in listed if all(r.outs.get(k) == v for k, v in wanted.items())]
        kind = self.inputs_model.__name__.removesuffix("Inputs").lower()
        if len(matches) > 1:
            ids = ", ".join(sorted(r.id for r in matches))
            return f"{len(matches)} existing {kind}s match (ids {ids}): adopt_id must pick one"
        if not matches:
            return None
        existing = matches[0]
        changes = [
            f"{k} {existing.outs.get(k)!r} => {v!r}"
            for k, v in self._differences(existing, inputs).items()
        ]
        return f"existing {kind} {existing.id}; " + (
            "differs in " + ", ".join(changes) if changes else "no differences"
        )

    def adoption_candidates(self, backend: Backend) -> Iterable[Remote]:
        """The objects `adopt` could take over, as `find` sees them (Capsule: active boards)."""
        return backend.list_all()

    def _owned(self, inputs: Mapping[str, Any]) -> tuple[str, ...]:
        """The API fields this resource diffs and keeps: all but a position a set owns."""
        if inputs.get("ordered_by_set"):
            return tuple(name for name in self.api_fields() if name != self.position_field)
        return self.api_fields()

    def _state(self, remote: Remote, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs to keep in state: the API's answer, less a position a set owns."""
        if inputs.get("ordered_by_set") and self.position_field:
            outs = {k: v for k, v in remote.outs.items() if k != self.position_field}
            return {**outs, "ordered_by_set": True}  # `read` is handed outputs, not inputs
        return remote.outs

    def _changed(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        return [
            name
            for name in self._owned(news)
            if news.get(name) is not None and news.get(name) != olds.get(name)
        ]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = self._changed(olds, news)
        replaces = [name for name in changed if name in self.replace_on]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self._validated(props)
        with self._writing() as backend:
            remote = self._adopt(backend, inputs) or self._create(backend, self._fields(inputs))
        return CreateResult(remote.id, self._state(remote, inputs))

    def _create(self, backend: Backend, fields: Mapping[str, Any]) -> Remote:
        """Create, retrying only after checking that an unanswered attempt made nothing.

        A create that fails without a clear answer (dropped connection, 5xx) may have been
        committed; retrying blindly would make a duplicate, so each retry first looks for it.
        """
        started = time.time()
        policy = RetryPolicy()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=tenacity.wait_random_exponential(
                multiplier=policy.backoff_initial, max=policy.backoff_max
            ),
            retry=tenacity.retry_if_exception_type((TransportError, ServerError)),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                found = None
                if attempt.retry_state.attempt_number > 1:
                    found = self._already_created(backend, fields, started)
                remote = found or backend.create(fields)
        return remote

    def _already_created(
        self, backend: Backend, fields: Mapping[str, Any], started: float
    ) -> Remote | None:
        """The object an unanswered create made, if it made one: same declared fields, and
        created after this create began (less a clock-skew allowance), so an older object
        that happens to match is never claimed."""
        declared = {name: value for name, value in fields.items() if value is not None}
        matches = [
            remote
            for remote in backend.find(fields)
            if all(remote.outs.get(name) == value for name, value in declared.items())
            and _created_since(remote, started - CLOCK_SKEW_SECONDS)
        ]
        if len(matches) > 1:
            ids = ", ".join(sorted(remote.id for remote in matches))
            raise StagesError(
                f"{self.settings.api} create had no clear answer and {len(matches)} objects now "
                f"match {declared}: ids {ids}; delete the extra ones, then run `pulumi up` again"
            )
        return matches[0] if matches else None

    def _adopt(self, backend: Backend, inputs: Mapping[str, Any]) -> Remote | None:
        """Take over the existing object the inputs point at (by id, or by name with `adopt`),
        sending only the fields that differ; None when nothing is to be adopted."""
        api = self.settings.api
        fields = self._fields(inputs)
        if inputs.get("adopt_id") is not None:
            existing = backend.read(str(inputs["adopt_id"]))
            if existing is None:
                raise StagesError(f"{api} has no object {inputs['adopt_id']} to adopt (adopt_id)")
        elif inputs.get("adopt"):
            matches = backend.find(fields)
            if len(matches) > 1:
                ids = ", ".join(sorted((remote.id for remote in matches), key=int))
                raise StagesError(
                    f"{api} has {len(matches)} objects named {fields.get('name')!r} (ids {ids}); "
                    "adopt one of them with adopt_id instead of adopt"
                )
            if not matches:
                return None
            existing = matches[0]
        else:
            return None
        changes = self._differences(existing, inputs)
        return backend.update(existing.id, changes) if changes else existing

    def _differences(self, existing: Remote, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The declared fields adoption would change on `existing` (never a set-owned position)."""
        owned = self._owned(inputs)
        return {
            k: v
            for k, v in self._fields(inputs).items()
            if k in owned and v is not None and existing.outs.get(k) != v
        }

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        endpoint = self.endpoint()
        backend = self.backend(endpoint)
        remote = LISTINGS.lookup((endpoint, self.listing_kind()), id_, backend.list_all)
        if remote is None:
            remote = backend.read(id_)  # a direct read, or confirming one missing from a listing
        if remote is None:
            return ReadResult(None, {})
        inputs = {name: remote.outs.get(name) for name in self._owned(props)}
        inputs.update({name: props[name] for name in CONTROL_FIELDS if name in props})
        return ReadResult(remote.id, self._state(remote, props), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        wanted = self._validated(news)
        changes = {name: wanted[name] for name in self._changed(olds, wanted)}
        if not changes:
            return UpdateResult({k: v for k, v in olds.items() if k != PROVIDER_KEY})
        with self._writing() as backend:
            remote = backend.update(id_, changes)
        return UpdateResult(self._state(remote, wanted))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        with self._writing() as backend:
            backend.delete(id_)


class ApiResource(pulumi.dynamic.Resource):
    """Base of every resource here: a dynamic Resource that undoes the SDK's pickler patch.

    pulumi 3.259's `serialize_provider` wraps `pickle._Pickler._batch_setitems` once more on
    every resource it serializes and never unwraps it, so a process that declares ~950 dynamic
    resources dies with RecursionError (an inline program in a long-lived process sooner).
    Restoring the pickler after each resource keeps the wrapping one level deep.
    """

    output_names: ClassVar[tuple[str, ...]] = ()
    """Outputs the API computes (ids, timestamps), declared so they exist as attributes."""

    def __init__(
        self,
        provider: ResourceProvider,
        name: str,
        inputs: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {**inputs, **dict.fromkeys(self.output_names)}
        pickler: Any = pickle._Pickler
        saved = (pickler._batch_setitems, pickler.save_dict)
        try:
            super().__init__(provider, name, props, opts)
        finally:
            pickler._batch_setitems, pickler.save_dict = saved
