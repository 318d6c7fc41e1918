"""Never a duplicate: the checks that keep one object per identity in an account.

A new object whose identity (a name, and its container) the account already holds is refused,
unless this stack's create journal says a dead `up` of its own made it: then the create takes
it over. A rename onto a held name is refused; a replacement (a change the API cannot make in
place) is checked again as a create. Two resources of one stack never claim one identity,
whichever the engine checks first. `ApiResourceProvider` mixes this in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pulumi.dynamic import CheckFailure

from . import adoption
from .account import Account
from .backend import Backend, Remote
from .config import ApiSettings
from .journal import CreateJournal
from .memory import Store
from .preview_reads import reading
from .retirement import retiring
from .run import THIS_RUN

OWNER_KEY = "managed_by"
"""An input every resource carries: `<project>/<stack>`, naming the create journal it writes."""
RESOURCE_KEY = "resource_name"
"""An input every resource carries: its own name, so one run can tell its resources apart."""
OWN_KEYS = (OWNER_KEY, RESOURCE_KEY)
"""Inputs the program sets on every resource, kept in outputs so that a refresh keeps them."""
REPLACING_KEY = "replacing"
"""Set by the check of a replacement: its create makes a new object, never adopts the old."""
RECOVERS_KEY = "recovers"
"""Set by check: the id of the object a dead `up` of this stack made, which create takes over."""


class DuplicateGuard:
    """The check-time guards; the provider supplies the account, listings and identity."""

    settings: ClassVar[ApiSettings]
    kind: ClassVar[str]
    replace_on: ClassVar[frozenset[str]] = frozenset()
    identity_fields: ClassVar[tuple[str, ...]] = ("name",)
    adoption_view: ClassVar[str] = ""

    def account(self) -> Account:
        raise NotImplementedError

    def make_backend(self, account: Account) -> Backend:
        raise NotImplementedError

    def listed(self, account: Account, backend: Backend, view: str = "") -> list[Remote]:
        raise NotImplementedError

    def identity_of(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _existing_resource(
        self, resource: str, olds: Mapping[str, Any], inputs: dict[str, Any], unknown: bool
    ) -> list[CheckFailure]:
        """A resource in state: its identity is held for this run; renamed onto a name the
        account already holds, it is refused (that would make two)."""
        if not retiring(olds):
            held = {name: olds.get(name) for name in self.identity_of(inputs)}
            holder = THIS_RUN.holds(resource, self.kind, held)
            if holder is not None:
                return [
                    self._declared_twice(
                        olds,
                        resource,
                        holder,
                        " (a stage renamed away from a name and a new one given that name in one "
                        "`up`: rename in one `up`, add the new stage in the next)",
                    )
                ]
        moved = [k for k, v in self.identity_of(inputs).items() if olds.get(k) != v]
        if unknown or not moved:  # only what the declaration sets counts
            return []
        if any(k in self.replace_on for k in moved):
            return []  # a replacement: the engine checks it again as a create
        return self._never_a_duplicate(inputs, recover=False)

    def _replacement(self, resource: str, inputs: dict[str, Any]) -> list[CheckFailure]:
        """The re-check of a replacement (its diff named the object it replaces): one resource
        per identity in this stack; a new object whose identity the account already holds is
        refused, unless a dead `up` of this stack made it (its journal says so): then the create
        takes that one over instead of making a second."""
        identity = self.identity_of(inputs)
        holder = THIS_RUN.claim(resource, self.kind, identity)
        if holder is not None:
            return [self._declared_twice(inputs, resource, holder)]
        replaced = THIS_RUN.replaced(resource)
        if replaced is None:  # replaced on request (`--replace`), not by a change of ours
            return []
        with reading(self.settings, self._listing_purpose()):
            account = self.account()
            listed = self.listed(account, self.make_backend(account), self.adoption_view)
        matches = [r for r in adoption.matching(listed, identity) if r.id != replaced]
        if _handed_over(account, self.kind, identity, matches):
            inputs.pop(REPLACING_KEY, None)
            return []
        wanted = {k: inputs.get(k) for k in self.replace_on if inputs.get(k) is not None}
        ours = [
            r
            for r in self.journal(account, inputs).ours(self.kind, identity, matches)
            if all(str(r.outs.get(k)) == str(v) for k, v in wanted.items())
        ]
        if len(ours) == 1:
            inputs[RECOVERS_KEY] = ours[0].id
            inputs.pop(REPLACING_KEY, None)
            return []
        if not matches:
            return []
        ids = ", ".join(sorted((m.id for m in matches), key=adoption.id_order))
        field = self.identity_fields[0]
        return [
            CheckFailure(
                field,
                f"{self.settings.api} already has a {self.kind} named {inputs.get(field)!r} "
                f"there (id {ids}) that this stack does not manage; replacing this one would "
                "make two. Rename or remove the other first. Nothing was changed.",
            )
        ]

    def _declared_twice(
        self, inputs: Mapping[str, Any], resource: str, holder: str, hint: str = ""
    ) -> CheckFailure:
        field = self.identity_fields[0]
        return CheckFailure(
            field,
            f"{inputs.get(field)!r} is declared twice in this stack: {resource!r} and "
            f"{holder!r} would both manage one {self.settings.api} {self.kind}{hint}",
        )

    def _never_a_duplicate(
        self, inputs: dict[str, Any], recover: bool = True
    ) -> list[CheckFailure]:
        """Refuse to create an object whose identity the account already holds, unless this
        stack's journal says a dead `up` of its own made it: then `recovers` names it and the
        create takes it over. An account that cannot be read fails the check (never skipped)."""
        with reading(self.settings, self._listing_purpose()):
            account = self.account()
            listed = self.listed(account, self.make_backend(account), self.adoption_view)
        identity = self.identity_of(inputs)
        matches = adoption.matching(listed, identity)
        if not matches or _handed_over(account, self.kind, identity, matches):
            return []
        ours = self.journal(account, inputs).ours(self.kind, identity, matches) if recover else []
        if len(ours) == 1:
            inputs[RECOVERS_KEY] = ours[0].id
            return []
        ids = ", ".join(sorted((m.id for m in matches), key=adoption.id_order))
        field = self.identity_fields[0]
        existing = (
            f"{self.settings.api} already has a {self.kind} named {inputs.get(field)!r} (id {ids})"
        )
        if not recover:  # a rename onto a name the account holds
            return [
                CheckFailure(
                    field,
                    f"{existing}; renaming this one to it would make two. Choose another name, "
                    "or rename or remove the other first (if that is this one, renamed by hand, "
                    "run `pulumi refresh` first). Nothing was changed.",
                )
            ]
        return [
            CheckFailure(
                field,
                f"{existing} that this stack does not manage; to take it over, set `adopt: "
                "true` on it (or its board, pipeline or section) in stages.yaml (adopt=True or "
                "adopt_id=<id> on a single resource), or choose another name. Nothing was "
                "created.",
            )
        ]

    def _listing_purpose(self) -> str:
        return f"list the {self.kind}s to make sure no other one holds this name"

    def memory(self) -> Store:
        """The store of this stack's provider memory (where its config says, or beside the
        state backend)."""
        raise NotImplementedError

    def expected_account(self) -> str:
        """The account this stack names (`expectedAccount`), or ""."""
        raise NotImplementedError

    def journal(self, account: Account, inputs: Mapping[str, Any]) -> CreateJournal:
        """This stack's create journal in this account: keyed by API, base URL and stack, each
        entry recording the account the stack names (never by a token)."""
        owner = str(inputs.get(OWNER_KEY) or "")
        base_url = account.endpoint.base_url
        return CreateJournal(
            self.settings.api, base_url, owner, self.memory(), self.expected_account()
        )


def _handed_over(
    account: Account, kind: str, identity: Mapping[str, Any], matches: list[Remote]
) -> bool:
    """Whether the object found is one this run made for this resource (a stage created with
    its pipeline): it is this resource's own create, not a duplicate and not a recovery."""
    handed = account.handed_over(kind, identity)
    return handed is not None and any(m.id == handed for m in matches)
