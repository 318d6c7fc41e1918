"""The generic dynamic provider: Pulumi's check/diff/create/read/update/delete over a backend.

An adapter supplies a pydantic inputs model, a wire dialect and a backend that talks to its API.
The jobs live in modules of their own (`checking`, `adoption`, `recovery`, `guard`, and the
account context in `account`); this class wires them into Pulumi's ResourceProvider contract. It
holds no credentials when pickled: `configure` hands it the stack config inside the provider
process, and the account is resolved from that (or the environment) on first use.
"""

from __future__ import annotations

import logging
import pickle
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pydantic import BaseModel

from . import adoption, recovery
from .account import ACCOUNTS, Account
from .backend import Backend, Remote
from .checking import UNKNOWN, changed, checked, validated
from .config import ApiSettings, StackConfig, expected_account, resolve_endpoint
from .errors import ApiError, StagesError
from .guard import guard_account
from .http import Dialect
from .listing import Listing
from .models import CONTROL_FIELDS

__all__ = ["PROVIDER_KEY", "UNKNOWN", "ApiResource", "ApiResourceProvider"]

PROVIDER_KEY = "__provider"


class _HideStagesErrorTracebacks(logging.Filter):
    """Drops gRPC's traceback log for errors raised on purpose: their one line reaches the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StagesError)


logging.getLogger("grpc._server").addFilter(_HideStagesErrorTracebacks())


class ApiResourceProvider(ResourceProvider):
    """A dynamic provider for one kind of object in one API, driven by an adapter's backend."""

    settings: ClassVar[ApiSettings]
    dialect: ClassVar[Dialect]
    inputs_model: ClassVar[type[BaseModel]]
    kind: ClassVar[str]
    """The kind of object, naming its listing and directory entries in the account context."""
    replace_on: ClassVar[frozenset[str]] = frozenset()
    position_field: ClassVar[str | None] = None
    """The input holding the object's position, which a stage set's ordering resource owns."""
    identity_fields: ClassVar[tuple[str, ...]] = ("name",)
    """The inputs that pick out the object `adopt` takes over (a name, and its container)."""
    adoption_view: ClassVar[str] = ""
    """The listing view `adopt` searches ("" for all objects of the kind)."""
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._config: StackConfig | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config = None

    @abstractmethod
    def make_backend(self, account: Account) -> Backend:
        """The adapter's backend over the account's client."""

    def list_view(self, backend: Backend, view: str) -> Iterable[Remote]:
        """The objects of a listing view; adapters with views override this."""
        return backend.list_all()

    def configure(self, req: ConfigureRequest) -> None:
        self._config = req.config

    def account(self) -> Account:
        """The configured account's context, behind the account guard: every read and write
        goes through here."""
        endpoint = resolve_endpoint(self.settings, self._config)
        account = ACCOUNTS.get(endpoint, self.dialect)
        guard_account(self.settings, self._config, account)
        return account

    def listing(self, account: Account, view: str = "") -> Listing:
        """The account's listing of this kind of object."""
        return account.listing(self.kind, view)

    def listed(self, account: Account, backend: Backend, view: str = "") -> list[Remote]:
        """Every object of this kind in the account, from its listing."""
        return self.listing(account, view).snapshot(lambda: self.list_view(backend, view))

    @contextmanager
    def _settled(self, account: Account) -> Iterator[None]:
        """A write whose outcome is unknown (no answer, or a 5xx) retires what the account
        knows of this kind; a 4xx refused it, so nothing changed."""
        try:
            yield
        except ApiError as error:
            if error.status >= 500:
                account.unsure(self.kind)
            raise
        except Exception:
            account.unsure(self.kind)
            raise

    def write(self, account: Account, action: Callable[[Backend], Remote]) -> Remote:
        """Run one create or update and write its answer through to the account context."""
        with self._settled(account):
            remote = action(self.make_backend(account))
        account.wrote(self.kind, remote)
        return remote

    @classmethod
    def input_names(cls) -> tuple[str, ...]:
        """The declared input fields, in model order."""
        return tuple(cls.inputs_model.model_fields)

    @classmethod
    def api_fields(cls) -> tuple[str, ...]:
        """The inputs that are the API object's fields (not adoption switches)."""
        return tuple(name for name in cls.input_names() if name not in CONTROL_FIELDS)

    def _fields(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {name: inputs[name] for name in self.api_fields() if name in inputs}

    def _identity(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return {name: inputs.get(name) for name in self.identity_fields}

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

    def guard(self) -> None:
        """The account guard alone: a stack that names its account fails a preview first. With
        no `expectedAccount` this needs no credentials, so a preview can validate without them."""
        if expected_account(self.settings, self._config):
            self.account()

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self.guard()
        inputs, unknown, failures = checked(self.inputs_model, self.input_names(), news)
        if failures:
            return CheckResult(inputs, failures)
        if olds.get("adopts"):
            inputs["adopts"] = olds["adopts"]  # kept, so no preview shows it going away
        elif inputs.get("adopt") and not olds and not unknown:
            line = self._adoption_note(inputs)
            if line:
                inputs["adopts"] = line
        inputs.update({name: UNKNOWN for name in unknown})
        return CheckResult(inputs, [])

    def _adoption_note(self, inputs: Mapping[str, Any]) -> str | None:
        """The preview's `adopts` line (an extra input, never diffed or sent); None when nothing
        matches or the listing cannot be read."""
        try:
            account = self.account()
            backend = self.make_backend(account)
            listed = self.listed(account, backend, self.adoption_view)
        except StagesError:
            return None
        kind = self.inputs_model.__name__.removesuffix("Inputs").lower()
        fields = self._fields(inputs)
        return adoption.note(kind, listed, self._identity(inputs), fields, self._owned(inputs))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed(olds, news, self._owned(news))
        replaces = [name for name in changes if name in self.replace_on]
        return DiffResult(
            changes=bool(changes),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = validated(self.inputs_model, self.input_names(), props)
        account = self.account()
        fields = self._fields(inputs)
        backend = self.make_backend(account)
        listed = self.listed(account, backend, self.adoption_view) if _adopts(inputs) else []
        existing = adoption.adoptee(
            self.settings.api, backend, listed, inputs, self._identity(inputs)
        )
        if existing is None:
            remote = self.write(account, lambda b: recovery.create(self.settings.api, b, fields))
        else:
            changes = adoption.differences(existing, fields, self._owned(inputs))
            remote = (
                self.write(account, lambda b: b.update(existing.id, changes))
                if changes
                else existing
            )
        return CreateResult(remote.id, self._state(remote, inputs))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        account = self.account()
        backend = self.make_backend(account)
        remote = self.listing(account).lookup(id_, backend.list_all)
        if remote is None:
            remote = backend.read(id_)  # a direct read, or confirming one missing from a listing
        if remote is None:
            return ReadResult(None, {})
        inputs = {name: remote.outs.get(name) for name in self._owned(props)}
        inputs.update({name: props[name] for name in CONTROL_FIELDS if name in props})
        return ReadResult(remote.id, self._state(remote, props), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        wanted = validated(self.inputs_model, self.input_names(), news)
        changes = {name: wanted[name] for name in changed(olds, wanted, self._owned(wanted))}
        if not changes:
            return UpdateResult({k: v for k, v in olds.items() if k != PROVIDER_KEY})
        remote = self.write(self.account(), lambda b: b.update(id_, changes))
        return UpdateResult(self._state(remote, wanted))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        account = self.account()
        with self._settled(account):
            self.make_backend(account).delete(id_)
        account.deleted(self.kind, id_)


def _adopts(inputs: Mapping[str, Any]) -> bool:
    return bool(inputs.get("adopt")) or inputs.get("adopt_id") is not None


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
