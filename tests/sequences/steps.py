"""The steps a sequence takes besides `up`: declaration edits and hand edits."""

from __future__ import annotations

from pulumi import automation as auto

from .invariants import writes_of
from .model import Container, choose
from .stats import STATS, check, violated


class DeclarationSteps:
    """Edits of the declaration, as a user makes them in `stages.yaml`."""

    def add_stage(self, pick: int, where: int) -> None:
        container = choose(self.containers, pick)
        name = self.fresh_name(container, pick // 7)
        stage = self.new_stage(container, name, pick)
        container.stages.insert(where % (len(container.stages) + 1), stage)
        self.note(f"add: {container.name}/{name}")

    def remove_stage(self, pick: int, _: int) -> None:
        """Remove a stage; if it holds records when the next `up` runs, that `up` retires it
        (see `prepare`)."""
        choices = [
            (c, s)
            for c in self.containers
            if len(c.stages) >= 2
            for s in c.stages
            if not self.pinned(c, s)
        ]
        if not choices:
            self.note("remove: not applicable")
            return
        container, stage = choose(choices, pick)
        container.stages.remove(stage)
        self.note(f"remove: {container.name}/{stage.name}")

    def remove_holding(self, pick: int, _: int) -> None:
        """Remove a stage that holds records: the next `up` retires it with `moved_to` another
        stage of its list (see `prepare`), and each record, by id, must land there."""
        choices = [
            (c, s)
            for c, identity, id_ in self.managed()
            if len(c.stages) >= 2 and self.records_in(id_)
            for s in c.stages
            if s.identity == identity and not self.pinned(c, s)
        ]
        if not choices:
            self.note("remove holding: not applicable")
            return
        container, stage = choose(choices, pick)
        container.stages.remove(stage)
        self.note(f"remove holding: {container.name}/{stage.name}")

    def remove_refused(self, pick: int, _: int) -> None:
        """With nothing else pending, removing a stage that holds records stops the `up` before
        any write, naming it and the count; the model then puts the stage back."""
        choices = [
            (c, s, id_)
            for c, identity, id_ in self.managed()
            if len(c.stages) >= 2 and self.records_in(id_)
            for s in c.stages
            if s.identity == identity
        ]
        if not choices or not self.clean():
            self.note("remove refused: not applicable")
            return
        container, stage, id_ = choose(choices, pick)
        held = self.records_in(id_)
        index = container.stages.index(stage)
        container.stages.remove(stage)
        self.note(f"remove refused: {container.name}/{stage.name} holding {held}")
        before = sorted(self.server.service.live_stages())
        self.requests = []
        try:
            self.engine(self.stack.up)
        except auto.CommandError as refused:
            text = str(refused)
            named = [f"{stage.name!r} (id {id_}) holds {held} ", *self.by_status(id_)]
            check(
                all(n in text for n in named),
                f"the refusal does not name {stage.name!r} (id {id_}) and {held} records:\n"
                + text[-2000:],
            )
        else:
            raise violated(f"removing {stage.name!r} holding {held} records was not refused")
        check(
            writes_of(self.requests) == [],
            f"a refused up wrote: {[e.key for e in writes_of(self.requests)]}",
        )
        check(sorted(self.server.service.live_stages()) == before, "a refused up changed stages")
        STATS["refusals (records)"] += 1
        container.stages.insert(index, stage)

    def rename_with_key(self, pick: int, _: int) -> None:
        container = choose(self.containers, pick)
        stages = [s for s in container.stages if not self.pinned(container, s)]
        if not stages:
            self.note("rename: not applicable")
            return
        stage = choose(stages, pick // 3)
        name = self.fresh_name(container, pick // 11)
        old = stage.name
        stage.key = stage.identity
        stage.name = name
        self.note(f"rename: {container.name}/{old} -> {name} (key {stage.key})")

    def change_field(self, pick: int, _: int) -> None:
        container = choose(self.containers, pick)
        stage = choose(container.stages, pick // 3)
        self.refield(stage, pick // 5)
        self.note(f"field: {container.name}/{stage.name}")

    def reorder(self, pick: int, to: int) -> None:
        container = choose(self.containers, pick)
        if len(container.stages) < 2:
            self.note("reorder: not applicable")
            return
        stage = container.stages.pop(pick // 3 % len(container.stages))
        container.stages.insert(to % (len(container.stages) + 1), stage)
        self.note(f"reorder: {container.name}/{stage.name}")


class HandSteps:
    """Edits made by hand in the CRM (on the emulator's state), and the switch to an export."""

    def pick_managed(self, pick: int, empty: bool = False) -> tuple[Container, str, str] | None:
        found = self.managed()
        if empty:
            found = [m for m in found if not self.records_in(m[2])]
        return choose(found, pick) if found else None

    def hand_rename_stage(self, pick: int, _: int) -> None:
        found = self.pick_managed(pick)
        if found is None:
            self.note("hand rename: not applicable")
            return
        container, identity, id_ = found
        self.counter += 1
        self.hand_rename(id_, f"Hand {self.counter}")
        self.hand_dirty = True
        self.note(f"hand rename: {container.name}/{identity} ({id_})")

    def hand_delete_stage(self, pick: int, _: int) -> None:
        found = self.pick_managed(pick, empty=True)
        if found is None:
            self.note("hand delete: not applicable")
            return
        container, identity, id_ = found
        self.hand_delete(id_)
        self.hand_dirty = True
        self.note(f"hand delete: {container.name}/{identity} ({id_})")

    def hand_reorder_stage(self, pick: int, other: int) -> None:
        position = other % 121
        found = self.pick_managed(pick)
        if found is None:
            self.note("hand reorder: not applicable")
            return
        container, identity, id_ = found
        self.hand_position(id_, position)
        self.hand_dirty = True
        self.note(f"hand reorder: {container.name}/{identity} ({id_}) to {position}")

    def hand_add_declared_name(self, pick: int, where: int) -> None:
        """A stage added to the declaration that someone has already made by hand: the next
        `up` must not make a second one (the preview refuses naming the id: then `adopt`)."""
        container = choose(self.containers, pick)
        if not self.can_hand_create(container):
            self.note("hand add: not applicable")
            return
        name = self.fresh_name(container, pick // 7)
        stage = self.new_stage(container, name, pick)
        container.stages.insert(where % (len(container.stages) + 1), stage)
        self.hand_made[(container.name, name)] = self.hand_create(container, name)
        self.hand_dirty = True
        self.note(f"hand add: {container.name}/{name}")

    def hand_add_rename_target(self, pick: int, _: int) -> None:
        """A stage renamed in the declaration (with `key`) whose new name someone has already
        given a stage by hand: the `up` must not leave two stages of that name (it refuses,
        naming the other; then the copy is deleted by hand; see
        test_regression_a_rename_onto_a_name_made_by_hand_leaves_no_duplicate)."""
        container = choose(self.containers, pick)
        applied = self.applied.stages.get(container.name, {})
        stages = [s for s in container.stages if s.identity in applied]
        if not stages or not self.can_hand_create(container):
            self.note("hand add rename target: not applicable")
            return
        stage = choose(stages, pick // 3)
        old = stage.name
        stage.key = stage.identity
        stage.name = self.fresh_name(container, pick // 7)
        self.hand_made[(container.name, stage.name)] = self.hand_create(container, stage.name)
        self.renamed_onto.add((container.name, stage.name))
        self.hand_dirty = True
        self.note(f"hand add rename target: {container.name}/{old} -> {stage.name}")

    def hand_put_records(self, pick: int, other: int) -> None:
        count = 1 + other % 3
        found = self.pick_managed(pick)
        if found is None:
            self.note("records: not applicable")
            return
        container, identity, id_ = found
        made = self.make_records(id_, count, other // 3)
        for record in made:
            self.records[record] = id_
        self.records_put += count
        self.note(f"records: {count} in {container.name}/{identity} ({id_}): {made}")

    def hand_add_foreign(self, pick: int, _: int) -> None:
        """Someone makes a stage, or a container with a stage, that the set never declares:
        every later `up` must leave it as it is (id, name, fields, order)."""
        made = self.make_foreign(self.raw[0] + self.foreign_made)  # CI: a stage, then a container
        self.foreign_made += 1
        self.note(f"hand add foreign: {made}")

    def adopt_export(self, pick: int, _: int) -> None:
        """The declaration is replaced by `pulumi-stages export`'s output, as a team adopting
        an account does: `adopt: true` from now on (one sequence in four has it throughout)."""
        if self.exported:
            self.note("export: not applicable")
            return
        self.exported = self.adopt = True
        self.note("export: adopt: true from now on")
