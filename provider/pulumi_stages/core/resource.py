"""The generic dynamic provider: Pulumi's check/diff/create/read/update/delete over a backend.

An adapter supplies its declared inputs (their names, and the pydantic model check loads on first
use: `declared_inputs`), a wire dialect and a backend that talks to its API
(the contract: `core.contract.resource`). Create, update and delete run as pipelines of named
steps in `lifecycle`; check's guards live in `duplicates`, `adoption` and `preview_reads`. The
class holds no credentials when pickled: `configure` hands it the stack config inside the
provider process, and the account is resolved from that (or the environment) on first use.
"""

from __future__ import annotations

import functools
import logging
import pickle
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
import pulumi.dynamic
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

from . import (
    adoption,
    error_lines,
    lifecycle,
    output_types,
    provider_bytes,
    refreshed_inputs,
    tombstones,
    writing,
)
from .account import ACCOUNTS, Account
from .backend import Backend, Remote
from .config import (
    ApiSettings,
    StackConfig,
    endpoint_rules,
    expected_account,
    resolve_endpoint,
)
from .declared_inputs import CONTROL_FIELDS, DeclaredInputs, as_last_checked, changed
from .duplicates import (
    OWN_KEYS,
    OWNER_KEY,
    RECOVERS_KEY,
    REPLACING_KEY,
    RESOURCE_KEY,
    DuplicateGuard,
)
from .guard import guard_account
from .http import Dialect, Endpoint
from .journal import memory_opens
from .listing import Listing
from .memory import Store, memory_location, open_store
from .preview_reads import reading
from .retirement import (
    RETIRED_KEY,
    is_tombstone,
    plan_line,
    retire,
    retiring,
)
from .run import THIS_RUN
from .unknowns import UNKNOWN

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "OWNER_KEY",
    "PROVIDER_KEY",
    "RECOVERS_KEY",
    "REGISTRAR",
    "REPLACING_KEY",
    "UNKNOWN",
    "ApiResource",
    "ApiResourceProvider",
]

LOG = logging.getLogger(__name__)

PROVIDER_KEY = lifecycle.PROVIDER_KEY


error_lines.install()


class ApiResourceProvider(DuplicateGuard, ResourceProvider):
    """A dynamic provider for one kind of object in one API, driven by an adapter's backend."""

    settings: ClassVar[ApiSettings]
    dialect: ClassVar[Dialect]
    inputs: ClassVar[DeclaredInputs]
    kind: ClassVar[str]
    """The kind of object, naming its listing and directory entries in the account context."""
    noun: ClassVar[str] = "stage"
    """What users call the object, in messages: "stage", "board", "pipeline"."""
    replace_on: ClassVar[frozenset[str]] = frozenset()
    position_field: ClassVar[str | None] = None
    """The input holding the object's position, which a stage set's ordering resource owns."""
    identity_fields: ClassVar[tuple[str, ...]] = ("name",)
    """The inputs that pick out the object `adopt` takes over (a name, and its container)."""
    editable: ClassVar[frozenset[str] | None] = None
    """The fields the API can change in place (None: all it owns); adoption changes no other,
    so the preview's next plan shows what would need a replace."""
    adoption_view: ClassVar[str] = ""
    """The listing view `adopt` searches ("" for all objects of the kind)."""
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self._config: StackConfig | None = None
        self._memory: Store | None = None
        self._endpoint: Endpoint | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config, self._memory, self._endpoint = None, None, None

    @abstractmethod
    def make_backend(self, account: Account) -> Backend:
        """The adapter's backend over the account's client."""

    def list_view(self, backend: Backend, view: str) -> Iterable[Remote]:
        """The objects of a listing view; adapters with views override this."""
        return backend.list_all()

    def configure(self, req: ConfigureRequest) -> None:
        self._config, self._memory, self._endpoint = req.config, None, None

    def memory(self) -> Store:
        """Found once per configuration: finding it reads the project file and the CLI's
        login (1.3 ms), which each check and create of a new stage would otherwise pay."""
        if self._memory is None:
            self._memory = open_store(memory_location(self._config))
        return self._memory

    def expected_account(self) -> str:
        return expected_account(self.settings, self._config)

    def account(self) -> Account:
        """The configured account's context, behind the account guard: every read and write
        goes through here."""
        endpoint = self._endpoint
        if endpoint is None:  # once per configuration: a refresh asks for it on every read
            endpoint = self._endpoint = resolve_endpoint(self.settings, self._config)
        account = ACCOUNTS.get(endpoint, self.dialect)
        guard_account(self.settings, self._config, account)
        return account

    def listing(self, account: Account, view: str = "") -> Listing:
        """The account's listing of this kind of object."""
        return account.listing(self.kind, view)

    def listed(self, account: Account, backend: Backend, view: str = "") -> list[Remote]:
        """Every object of this kind in the account, from its listing."""
        return self.listing(account, view).snapshot(lambda: self.list_view(backend, view))

    def write(self, account: Account, action: Callable[[Backend], Remote]) -> Remote:
        """Run one create or update and write its answer through to the account context."""
        return writing.written(account, self.kind, self.make_backend(account), action)

    def validated_inputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Inputs `check` already passed, as the model reads them, and the resource's own."""
        from .checking import validated  # noqa: PLC0415 - pydantic: see `declared_inputs`

        own = {key: props[key] for key in OWN_KEYS if props.get(key)}
        return {**validated(self.inputs_model(), self.input_names(), props), **own}

    @classmethod
    def inputs_model(cls) -> type[BaseModel]:
        """The pydantic model of the declared inputs, imported on first use."""
        return cls.inputs.model()

    @classmethod
    def input_names(cls) -> tuple[str, ...]:
        """The declared input fields: the control fields, then the API fields."""
        return cls.inputs.names

    @classmethod
    def api_fields(cls) -> tuple[str, ...]:
        """The inputs that are the API object's fields (not adoption switches)."""
        return cls.inputs.api_fields

    def api_values(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The declared API fields (not adoption switches or the resource's own inputs)."""
        return {name: inputs[name] for name in self.api_fields() if name in inputs}

    def identity_of(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The identity fields that are set (an unset one, such as a board id where only the
        board's name is given, does not narrow the match)."""
        found = {name: inputs.get(name) for name in self.identity_fields}
        return {name: value for name, value in found.items() if value is not None}

    def owned_fields(self, inputs: Mapping[str, Any]) -> tuple[str, ...]:
        """The API fields this resource diffs and keeps: all but a position a set owns."""
        if inputs.get("ordered_by_set"):
            return tuple(name for name in self.api_fields() if name != self.position_field)
        return self.api_fields()

    def editable_fields(self, inputs: Mapping[str, Any]) -> tuple[str, ...]:
        """The owned fields adoption may change in place."""
        owned = self.owned_fields(inputs)
        return owned if self.editable is None else tuple(f for f in owned if f in self.editable)

    def creation_problem(self, inputs: Mapping[str, Any]) -> CheckFailure | None:
        """Why the API would refuse to create an object with these inputs (None: it would not);
        asked at preview when `adopt` finds nothing to take over, so the create the `up` falls
        back to fails in the preview instead."""
        return None

    def outputs_for(self, remote: Remote, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs to keep in state: the API's answer, less a position a set owns, with
        the resource's own inputs that `read` (handed outputs, not inputs) gives back."""
        outs = dict(remote.outs)
        if inputs.get("ordered_by_set") and self.position_field:
            outs.pop(self.position_field, None)
            outs["ordered_by_set"] = True
        outs.update({key: inputs[key] for key in OWN_KEYS if inputs.get(key)})
        return outs

    def confirm_readable(self, id_: str) -> None:
        """Before a plan changes this object: the account answers the token (one read of it,
        at most once per process and account, none once a request succeeded), so a wrong
        token fails the preview of an update as it fails a create's."""
        with reading(self.settings, f"read the {self.kind} it changes"):
            account = self.account()
            account.confirm_readable(lambda: self.make_backend(account).read(id_))

    def guard(self) -> None:
        """The account guard alone: a stack that names its account fails a preview first. With
        no `expectedAccount` it makes no request."""
        if expected_account(self.settings, self._config):
            self.account()

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self.guard()
        endpoint_rules(self.settings, self._config)
        inputs, unknown, failures = self._validated(olds, news)
        if failures:
            return CheckResult(inputs, failures)
        for key in (OWNER_KEY, RESOURCE_KEY):
            if news.get(key):
                inputs[key] = news[key]
        for carried in ("adopts", RECOVERS_KEY, "retires"):  # kept: no preview shows them go
            if olds.get(carried):
                inputs[carried] = olds[carried]
        resource = str(news.get(RESOURCE_KEY) or "")
        if retiring(inputs):
            if not (unknown - {"moved_to_id"}) and not olds.get("retires"):
                line = self._retirement_note(inputs)
                if line:
                    inputs["retires"] = line
        elif olds:
            failures = self._existing_resource(resource, olds, inputs, bool(unknown))
        else:  # a create, or a replacement's: its intent is journalled first
            memory_opens(self.memory())
            failures = self._new_object(resource, inputs, known=not unknown)
        inputs.update({name: UNKNOWN for name in unknown})
        return CheckResult(inputs, failures)

    def _validated(
        self, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[dict[str, Any], frozenset[str], list[CheckFailure]]:
        """The declared inputs as the model reads them, the names not known yet, and one
        failure per bad field; an unchanged declaration as the last check left it."""
        unchanged = as_last_checked(self.input_names(), olds, news)
        if unchanged is not None:
            return unchanged, frozenset(), []
        from .checking import checked  # noqa: PLC0415 - pydantic: see `declared_inputs`

        return checked(self.inputs_model(), self.input_names(), news)

    def _new_object(self, resource: str, inputs: dict[str, Any], known: bool) -> list[CheckFailure]:
        """A check with no old inputs: a replacement's re-check, or a brand-new resource."""
        if THIS_RUN.replacing(resource):
            inputs[REPLACING_KEY] = True  # the engine's re-check of a replacement: never adopt
            return self._replacement(resource, inputs) if known else []
        return self._new_resource(resource, inputs, known)

    def _new_resource(
        self, resource: str, inputs: dict[str, Any], known: bool
    ) -> list[CheckFailure]:
        """A brand-new resource: one per identity in this stack, then the adoption note or the
        duplicate guard against the account (once its inputs are known: the `up` checks again)."""
        if not known:
            self._note_adoption(inputs)  # its container is not known yet: adopted too?
            return []
        identity = self.identity_of(inputs)
        holder = THIS_RUN.claim(resource, self.kind, identity)
        if holder is not None:
            return [self._declared_twice(inputs, resource, holder)]
        if _adopts(inputs):
            line = self._adoption_note(inputs)
            if line:
                inputs["adopts"] = line
            elif inputs.get("adopt") and inputs.get("adopt_id") is None:  # the `up` creates it
                problem = self.creation_problem(inputs)
                return [problem] if problem else []
            return []
        return self._never_a_duplicate(inputs)

    def _note_adoption(self, inputs: dict[str, Any]) -> None:
        """An adopted object whose container's id is not known in a preview (the container is
        adopted in the same plan): its `adopts` line from the identity that is known, so the
        preview shows each field the `up` will change."""
        if inputs.get("adopt") and self.identity_fields[0] in inputs:
            line = self._adoption_note(inputs)
            if line:
                inputs["adopts"] = line

    def _retirement_note(self, inputs: Mapping[str, Any]) -> str | None:
        """The preview's `retires` line: the stage's records, counted, and where they go; None
        when the stage is not in the account (nothing to retire). An account that cannot be
        read fails the check: the preview never hides what the retirement would do."""
        with reading(self.settings, f"count the records of the retired {self.kind}"):
            account = self.account()
            backend = self.make_backend(account)
            found = adoption.matching(self.listed(account, backend), self.identity_of(inputs))
            if len(found) != 1:
                return None
            return plan_line(backend, self.settings.api, found[0].id, inputs)

    def _adoption_note(self, inputs: Mapping[str, Any]) -> str | None:
        """The preview's `adopts` line (an extra input, never diffed or sent) for the object
        `adopt` matches or `adopt_id` names; None when there is none in the listing; an account
        that cannot be read fails the check."""
        with reading(self.settings, f"find the existing {self.kind} to adopt"):
            account = self.account()
            backend = self.make_backend(account)
            listed = self.listed(account, backend, self.adoption_view)
        kind = self.inputs.model_name.removesuffix("Inputs").lower()
        fields = self.api_values(inputs)
        identity = self.identity_of(inputs)
        if inputs.get("adopt_id") is not None:  # the object it names, whatever its name
            listed = adoption.with_id(listed, inputs["adopt_id"])
            identity = {}
        return adoption.note(
            kind,
            listed,
            identity,
            fields,
            owned=self.owned_fields(inputs),
            editable=self.editable_fields(inputs),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if is_tombstone(olds) or retiring(news):
            return tombstones.diff(olds, news)
        changes = changed(olds, news, self.owned_fields(news))
        if changes:  # a preview stops where the `up` would: a bad token fails the plan
            self.confirm_readable(_id)
        replaces = [name for name in changes if name in self.replace_on]
        if replaces:
            THIS_RUN.replaces(str(news.get(RESOURCE_KEY) or ""), _id)
        return DiffResult(
            changes=bool(changes),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    def retire_stage(self, account: Account, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Retire a live stage: its records move to `moved_to_id`, a fresh count confirms it
        empty, then it goes (or, with `keep`, it stays); this run's delete of its resource then
        has nothing left to do."""
        backend = self.make_backend(account)
        with writing.forgetting_if_unsure(account, self.kind):
            outs = retire(backend, self.settings.api, id_, inputs)
        if outs[RETIRED_KEY] == "moved":
            account.deleted(self.kind, id_)
            THIS_RUN.retired(self.kind, id_)
        return outs

    def create(self, props: dict[str, Any]) -> CreateResult:
        return lifecycle.create(self, props)

    def hand_over(
        self,
        account: Account,
        props: Mapping[str, Any],
        kind: str,
        identity: Mapping[str, Any],
        remote: Remote,
    ) -> None:
        """An object this create made on another resource's behalf (a stage a pipeline was
        created with): journalled as this stack's, known to the account context, and taken
        over by the resource that declares it as its own create (no `recovers`)."""
        journal = self.journal(account, props)
        journal.created(kind, identity, journal.begin(kind, identity), remote.id)
        account.hand_over(kind, identity, remote.id)
        account.wrote(kind, remote)

    @staticmethod
    def recovers(props: Mapping[str, Any]) -> str | None:
        """The id of the object a dead `up` of this stack made, which this create takes over
        (its check found it in the create journal); None for a new object or a replacement."""
        if props.get(REPLACING_KEY) or not props.get(RECOVERS_KEY):
            return None
        return str(props[RECOVERS_KEY])

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The object as the account holds it: all of it in the outputs, and as inputs the
        state's own with the API fields it declared read back (`refreshed_inputs`), so a field
        left to the CRM and set there by hand never becomes one the next `up` rewrites, and an
        input the API does not hold (the position a set owns) stays as the program declared it."""
        if is_tombstone(props):
            return tombstones.read(id_, props, PROVIDER_KEY)
        account = self.account()
        backend = self.make_backend(account)
        remote = self.listing(account).lookup(id_, lambda: self.list_view(backend, ""))
        if remote is None:
            remote = backend.read(id_)  # a direct read, or confirming one missing from a listing
        if remote is None:
            return ReadResult(None, {})
        outs = self.outputs_for(remote, props)
        state = refreshed_inputs.state_inputs()
        if state is None:  # the engine keeps the state's inputs; the outputs show the drift
            return ReadResult(remote.id, outs)
        fields = refreshed_inputs.declared(self.owned_fields(props), state)
        kept = {key: value for key, value in state.items() if key != PROVIDER_KEY}
        inputs = {**kept, **{name: remote.outs.get(name) for name in fields}}
        inputs.update({name: props[name] for name in CONTROL_FIELDS if name in props})
        inputs.update({name: props[name] for name in OWN_KEYS if props.get(name)})
        if inputs == kept:  # nothing drifted: the engine keeps the state's, none sent back
            return ReadResult(remote.id, outs)
        return ReadResult(remote.id, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return lifecycle.update(self, id_, olds, news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        lifecycle.delete(self, id_, props)


def _adopts(inputs: Mapping[str, Any]) -> bool:
    return bool(inputs.get("adopt")) or inputs.get("adopt_id") is not None


_PICKLER_PROBE = threading.Lock()
"""Held while `sdk_leaks_pickler_patch` probes: two threads never patch and compare at once."""


@functools.cache
def sdk_leaks_pickler_patch() -> bool:
    """Whether this SDK's `serialize_provider` leaves `pickle._Pickler` patched after it returns.

    pulumi 3.259 does (it wraps `_batch_setitems` and `save_dict` once more on every call and
    never unwraps them); another SDK in our range may not. Found out once per process by
    serializing a provider that captures nothing, and putting the pickler back afterwards (under
    a lock: `functools.cache` lets two first callers in at once, and one's patch would read as
    the other's leak)."""
    with _PICKLER_PROBE:
        pickler: Any = pickle._Pickler
        before = (pickler._batch_setitems, pickler.save_dict)
        try:
            pulumi.dynamic.dynamic.serialize_provider(ResourceProvider())
            return (pickler._batch_setitems, pickler.save_dict) != before
        finally:
            pickler._batch_setitems, pickler.save_dict = before


Registrar = Callable[
    ["ApiResource", ResourceProvider, str, dict[str, Any], pulumi.ResourceOptions | None], None
]
"""Registers one resource through another door: given the resource, its provider, name,
inputs (as the dynamic provider would get them) and options."""

REGISTRAR: ContextVar[Registrar | None] = ContextVar("pulumi_stages_registrar", default=None)
"""The door resources register through in this context; None for the dynamic providers. The
provider package sets it while it builds a stage set (its children become package resources)."""


class ApiResource(pulumi.dynamic.Resource):
    """Base of every resource here: a dynamic Resource that undoes the SDK's pickler patch.

    An SDK whose `serialize_provider` leaks its pickler patch (3.259 does; see
    `sdk_leaks_pickler_patch`) wraps `pickle._Pickler._batch_setitems` once more per resource,
    so a process that declares ~950 dynamic resources dies with RecursionError (an inline
    program in a long-lived process sooner). On such an SDK the pickler is restored after each
    resource, keeping the wrapping one level deep; on one that cleans up, nothing is touched.
    """

    output_names: ClassVar[tuple[str, ...]] = ()
    """Outputs the API computes (ids, timestamps), declared so they exist as attributes."""
    field_notes: ClassVar[Mapping[str, str]] = {}
    """What each field no inputs model describes means (a constructor argument or a computed
    output): the package schema documents every field, the model's docstrings the rest."""

    def __init__(
        self,
        provider: ResourceProvider,
        name: str,
        inputs: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        owner = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
        props = {
            **dict.fromkeys(self.output_names),  # an output also given as an input keeps it
            **{k: v for k, v in inputs.items() if v is not None or k not in CONTROL_FIELDS},
            OWNER_KEY: owner,
            RESOURCE_KEY: name,
        }
        registrar = REGISTRAR.get()
        if registrar is not None:
            registrar(self, provider, name, props, opts)
            return
        if not sdk_leaks_pickler_patch():
            super().__init__(provider, name, props, opts)
            return
        pickler: Any = pickle._Pickler
        saved = (pickler._batch_setitems, pickler.save_dict)
        try:
            super().__init__(provider, name, props, opts)
        finally:
            pickler._batch_setitems, pickler.save_dict = saved


output_types.install(ApiResource)
provider_bytes.install(ApiResourceProvider)
