"""A set's retirements (`retired:` with `moved_to`), carried out by its ordering resource: the
cases a review found, each through the providers against the emulators."""

from __future__ import annotations

from pulumi.dynamic import Config, ConfigureRequest

from pulumi_stages.capsule.stage import CapsuleStageOrderProvider
from pulumi_stages.core import refreshed_inputs
from pulumi_stages.core.unknowns import UNKNOWN
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.outreach.stage import OutreachStageOrderProvider, OutreachStageProvider


def configured(provider: object, namespace: str, server: EmulatorServer, token: str) -> None:
    config = {f"{namespace}:accessToken": token, f"{namespace}:baseUrl": server.base_url}
    provider.configure(ConfigureRequest(Config(config, project_name="p")))  # type: ignore[attr-defined]


def lead_old_won(
    outreach: EmulatorServer, token: str
) -> tuple[OutreachStageProvider, OutreachStageOrderProvider, dict[str, str]]:
    """Stages Lead, Old and Won in the account, and the set's order provider (not created)."""
    stages = OutreachStageProvider()
    configured(stages, "outreach", outreach, token)
    ids = {
        n: stages.create({"name": n, "order": i}).id for i, n in enumerate(["Lead", "Old", "Won"])
    }
    order = OutreachStageOrderProvider()
    configured(order, "outreach", outreach, token)
    return stages, order, ids


def test_a_retired_entry_naming_a_declared_stages_old_name_is_refused(
    outreach: EmulatorServer, token: str
) -> None:
    """`{name: New lead, key: lead}` was `Lead`; `retired: [{name: Lead, moved_to: Qualified}]`
    names the same stage (same id): retiring it would move its records away and delete a stage
    the set declares. The check refuses, naming both, and nothing is written."""
    stages = OutreachStageProvider()
    configured(stages, "outreach", outreach, token)
    lead = stages.create({"name": "Lead", "order": 10}).id
    qualified = stages.create({"name": "Qualified", "order": 20}).id
    outreach.service.put_records(lead, 5)
    order = OutreachStageOrderProvider()
    configured(order, "outreach", outreach, token)
    olds = {"sequence": ["Lead", "Qualified"], "stages": {"Lead": lead, "Qualified": qualified}}
    news = {
        "sequence": ["New lead", "Qualified"],
        "stages": {"New lead": lead, "Qualified": qualified},
        "released": ["Lead"],
        "moved_to": {"Lead": "Qualified"},
    }
    outreach.log.reset()

    checked = order.check(olds, news)

    assert [f.property for f in checked.failures] == ["moved_to"]
    assert (
        f"the retired entry 'Lead' names stage {lead}, which this set still declares as "
        "'New lead'" in checked.failures[0].reason
    )
    assert "retiring" not in checked.inputs
    assert outreach.log.writes() == []
    assert outreach.service.records_in(lead) == 5


def test_a_retirement_in_a_board_made_in_the_same_plan_is_named_in_the_preview(
    capsule: EmulatorServer, token: str
) -> None:
    """A fresh stack adopts board Sales (its stages' ids unknown at preview) and retires 'Old'
    (4 projects) to 'Won': the preview's check names the retirement, as the up's retires it."""
    state = capsule.service.state
    board = state.create_board("Sales")
    ids = {
        n: str(state.create_stage({"board": board.id, "name": n, "displayOrder": i}).id)
        for i, n in enumerate(["Lead", "Old", "Won"])
    }
    capsule.service.put_records(ids["Old"], 4)
    order = CapsuleStageOrderProvider()
    configured(order, "capsule", capsule, token)
    base = {"sequence": ["Lead", "Won"], "released": ["Old"], "moved_to": {"Old": "Won"}}

    at_preview = order.check({}, {**base, "stages": {"Lead": UNKNOWN, "Won": UNKNOWN}})
    at_up = order.check({}, {**base, "stages": {"Lead": ids["Lead"], "Won": ids["Won"]}})

    line = (at_preview.inputs.get("retires") or {}).get("Old", "")
    assert "if Capsule has a stage 'Old' beside this set's stages, its records move to 'Won'" in (
        line
    ), at_preview.inputs
    assert "retiring" not in at_preview.inputs
    assert at_up.inputs.get("retiring") == {"Old": ids["Old"]}


def test_a_refresh_keeps_what_the_set_already_retired(outreach: EmulatorServer, token: str) -> None:
    """After 'Old' is retired, someone makes an 'Old' by hand: the next up leaves it alone, and
    so it does after a refresh (which rewrites the order's inputs from `read`)."""
    stages, order, ids = lead_old_won(outreach, token)
    first = order.create({"sequence": ["Lead", "Old", "Won"], "stages": dict(ids)})
    news = {
        "sequence": ["Lead", "Won"],
        "stages": {"Lead": ids["Lead"], "Won": ids["Won"]},
        "released": ["Old"],
        "moved_to": {"Old": "Won"},
    }
    checked = order.check({"sequence": ["Lead", "Old", "Won"], "stages": dict(ids)}, news)
    updated = order.update(first.id, {}, checked.inputs)
    remade = stages.create({"name": "Old", "order": 9}).id
    outreach.service.put_records(remade, 3)

    without_refresh = order.check(checked.inputs, news).inputs.get("retiring")
    with refreshed_inputs.reading_with(checked.inputs):  # the state's inputs, as Read sends them
        refreshed = order.read(first.id, dict(updated.outs or {}))
    after_refresh = order.check(refreshed.inputs or {}, news).inputs.get("retiring")

    assert checked.inputs.get("retiring") == {"Old": ids["Old"]}
    assert (without_refresh, after_refresh) == (None, None)
    assert outreach.service.records_in(remade) == 3


def test_a_refresh_after_a_retirement_left_the_file_shows_no_change(
    outreach: EmulatorServer, token: str
) -> None:
    """Once 'Old' is retired and its entry removed from the file, the order keeps `retired: []`:
    a refresh of the set, unchanged in the account, reads the same outputs (no `- retired`)."""
    _, order, ids = lead_old_won(outreach, token)
    first = order.create({"sequence": ["Lead", "Old", "Won"], "stages": dict(ids)})
    kept = {"sequence": ["Lead", "Won"], "stages": {"Lead": ids["Lead"], "Won": ids["Won"]}}
    retiring = order.check(
        first.outs or {}, {**kept, "released": ["Old"], "moved_to": {"Old": "Won"}}
    )
    retired = order.update(first.id, first.outs or {}, retiring.inputs)
    left = order.check(retiring.inputs, {**kept, "released": [], "moved_to": {}})
    applied = order.update(first.id, retired.outs or {}, left.inputs)

    with refreshed_inputs.reading_with(left.inputs):
        refreshed = order.read(first.id, dict(applied.outs or {}))

    assert (applied.outs or {}).get("retired") == []
    assert refreshed.outs == applied.outs
