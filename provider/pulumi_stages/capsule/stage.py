"""The `pulumi_stages.capsule.Stage` and `Board` resources and their dynamic providers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import DiffResult, UpdateResult

from ..core.account import Account
from ..core.backend import Backend, Remote
from ..core.config import ApiSettings
from ..core.declared_inputs import DeclaredInputs
from ..core.errors import RecordsInStage
from ..core.ordering import OrderingProvider, OrderResource
from ..core.preview_reads import reading
from ..core.resource import ApiResource, ApiResourceProvider
from ..core.stage_inputs import stage_inputs
from .api import BOARD, SETTINGS, STAGE, CapsuleBoards, CapsuleDialect, CapsuleStages


class CapsuleStageProvider(ApiResourceProvider):
    """Capsule stages; moving one to another board is a replace (the API cannot move it)."""

    settings: ClassVar[ApiSettings] = SETTINGS
    dialect: ClassVar[CapsuleDialect] = CapsuleDialect()
    inputs: ClassVar[DeclaredInputs] = DeclaredInputs(
        ("name", "board", "board_id", "description", "display_order"),
        model=f"{__package__}.models.StageInputs",
    )
    kind: ClassVar[str] = STAGE
    replace_on: ClassVar[frozenset[str]] = frozenset({"board", "board_id"})
    position_field: ClassVar[str | None] = "display_order"
    identity_fields: ClassVar[tuple[str, ...]] = ("name", "board", "board_id")

    def make_backend(self, account: Account) -> Backend:
        return CapsuleStages(account)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As any stage; a board id stored as a number (before ids were text) is the same id."""
        if olds.get("board_id") is not None:
            olds = {**olds, "board_id": str(olds["board_id"])}
        return super().diff(id_, olds, news)


class CapsuleBoardProvider(ApiResourceProvider):
    """Capsule boards; the API cannot edit one, so any change replaces it."""

    settings: ClassVar[ApiSettings] = SETTINGS
    dialect: ClassVar[CapsuleDialect] = CapsuleDialect()
    inputs: ClassVar[DeclaredInputs] = DeclaredInputs(
        ("name", "description"), model=f"{__package__}.models.BoardInputs"
    )
    kind: ClassVar[str] = BOARD
    noun: ClassVar[str] = "board"
    replace_on: ClassVar[frozenset[str]] = frozenset({"name", "description"})
    editable: ClassVar[frozenset[str] | None] = frozenset()
    adoption_view: ClassVar[str] = "active"

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """As any object; a board archived by hand (seen by refresh) is drift to restore; a
        replace whose stages hold open projects is refused before anything is written."""
        result = super().diff(id_, olds, news)
        if olds.get("archived") and not result.replaces:
            return DiffResult(changes=True, replaces=[], stables=[], delete_before_replace=False)
        if result.replaces:
            self._refuse_stranding(id_, olds, result.replaces)
        return result

    def _refuse_stranding(self, id_: str, olds: Mapping[str, Any], fields: Iterable[str]) -> None:
        """A replaced board's stages are replaced too, and Capsule refuses to delete a stage
        that holds open projects: after the new board and its stages were made, the old ones
        would stay. So a replace is refused while any of its stages holds one."""
        with reading(self.settings, "count the open projects of the board's stages"):
            account = self.account()
            stages = CapsuleStages(account)
            listed = account.listing(STAGE, "").snapshot(stages.list_all)
            held = [
                f"stage {stage.outs.get('name')!r} (id {stage.id}) holds {count.of('projects')}"
                for stage in listed
                if stage.outs.get("board_id") == id_
                and not (count := stages.count_records(stage.id)).empty
            ]
        if held:
            changes = " and ".join(sorted(fields))
            raise RecordsInStage(
                f"Capsule cannot edit a board, so changing the {changes} of board "
                f"{olds.get('name')!r} (id {id_}) replaces it and its stages, and "
                f"{'; '.join(held)}. The board and its stages were not "
                "changed. Move the projects to another board first, or keep the board as it is."
            )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The only change a board takes in place: restoring one archived by hand."""
        if not olds.get("archived"):
            return super().update(id_, olds, news)
        account = self.account()

        def restore(backend: Backend) -> Remote:
            assert isinstance(backend, CapsuleBoards)
            return backend.restore(id_)

        return UpdateResult(self.outputs_for(self.write(account, restore), news))

    def make_backend(self, account: Account) -> Backend:
        return CapsuleBoards(account.client)

    def list_view(self, backend: Backend, view: str) -> Iterable[Remote]:
        """`active`: the boards `adopt` may take over; else every board, archived too."""
        assert isinstance(backend, CapsuleBoards)
        return backend.list_active() if view == "active" else backend.list_all()


class Board(ApiResource, module="capsule", name="Board"):
    """A Capsule board, the owner of an ordered set of stages. Deleting it archives it."""

    name: pulumi.Output[str]
    description: pulumi.Output[str | None]
    archived: pulumi.Output[bool]
    board_id: pulumi.Output[str]
    output_names = ("board_id", "archived", "created_at", "updated_at")
    field_notes: ClassVar[Mapping[str, str]] = {
        "archived": "Whether Capsule holds the board archived (a board deleted here)."
    }

    def __init__(
        self,
        resource_name: str,
        name: pulumi.Input[str],
        *,
        description: pulumi.Input[str] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[int | str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a board; `adopt=True` takes over an existing board with the same name."""
        inputs: dict[str, Any] = {
            "name": name,
            "description": description,
            "adopt": adopt,
            "adopt_id": adopt_id,
        }
        super().__init__(CapsuleBoardProvider(), resource_name, inputs, opts)


class Stage(ApiResource, module="capsule", name="Stage"):
    """A Capsule stage on a board named in this account (name or a Board's `name` output)."""

    name: pulumi.Output[str]
    board: pulumi.Output[str]
    description: pulumi.Output[str | None]
    display_order: pulumi.Output[int | None]
    stage_id: pulumi.Output[int]
    board_id: pulumi.Output[str]
    output_names = ("stage_id", "created_at", "updated_at")

    def __init__(
        self,
        resource_name: str,
        name: pulumi.Input[str],
        board: pulumi.Input[str],
        *,
        board_id: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        display_order: pulumi.Input[int] | None = None,
        adopt: pulumi.Input[bool] | None = None,
        adopt_id: pulumi.Input[int | str] | None = None,
        ordered_by_set: bool | None = None,
        retirement: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a stage. Moving it to another board replaces it (new id, created first); with
        `board_id` (a Board's `id`), a replaced board replaces its stages too, never stranding
        them on the archived one."""
        fields = {
            "name": name,
            "board": board,
            "board_id": board_id,
            "description": description,
            "display_order": display_order,
        }
        inputs = stage_inputs(
            fields,
            adopt=adopt,
            adopt_id=adopt_id,
            ordered_by_set=ordered_by_set,
            retirement=retirement,
        )
        super().__init__(CapsuleStageProvider(), resource_name, inputs, opts)


class CapsuleStageOrderProvider(OrderingProvider):
    """Positions Capsule stages through the stage provider's backend."""

    stage_provider: ClassVar[type[ApiResourceProvider]] = CapsuleStageProvider


class StageOrder(OrderResource, module="capsule", name="StageOrder"):
    """The order of a stage set's Capsule stages on one board; see `core.ordering`."""

    provider_class: ClassVar[type[OrderingProvider]] = CapsuleStageOrderProvider
