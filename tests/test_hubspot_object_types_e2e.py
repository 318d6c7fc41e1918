"""Pipelines of other object types through the real engine, as deal pipelines are: a lead
pipeline and a custom object's (`2-12345`) are created in one POST with stages carrying `{}`
metadata, renamed in place with a `key`, refused with no write while a removed stage holds
records, and emptied by a batch move (`hs_pipeline_stage`) before the stage's validated delete;
the lead pipeline every portal with leads holds is taken over by id with no write; the export
lists each type the account has (custom objects from its schemas) and adopts with no write; drift
places a stage made by hand in a custom object's pipeline."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from pulumi_stages.cli import main
from pulumi_stages.core.registry import adapters
from pulumi_stages.drift_listing import compare, listed_places
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.hubspot import HubSpotOptions, HubSpotService, HubSpotState
from pulumi_stages.hubspot import Stage
from pulumi_stages.stageset import StageSet, StageSetError, load_text
from tests.engine import StackHarness
from tests.module_stack import SharedStack, fresh_stack_fixture, shared_stack_fixture

pytestmark = pytest.mark.e2e

CUSTOM = "2-12345"
LEAD_DEFAULTS = ["New", "Attempting", "Connected", "Qualified", "Disqualified"]


def portal(token: str) -> HubSpotService:
    """A portal with leads and one custom object (`2-12345`)."""
    options = HubSpotOptions(object_types=frozenset({"leads"}), custom_objects=(CUSTOM,))
    return HubSpotService(token=token, state=HubSpotState(options))


shared = shared_stack_fixture(portal, "hubspot")

stack = fresh_stack_fixture()


def section(object_type: str, pipeline: dict[str, Any]) -> dict[str, Any]:
    """A `hubspot:` section holding one pipeline of the type (custom objects by type id)."""
    if object_type == CUSTOM:
        return {"hubspot": {"custom_objects": {CUSTOM: [pipeline]}}}
    return {"hubspot": {object_type: [pipeline]}}


def use(stack: StackHarness, object_type: str, pipeline: dict[str, Any]) -> None:
    spec = section(object_type, pipeline)
    stack.program = lambda: StageSet("set", spec) and None


def writes(stack: StackHarness) -> list[tuple[str, str, Any]]:
    return [(w.method, w.route, w.body) for w in stack.emulator.log.writes()]


@pytest.mark.parametrize("object_type", ["leads", CUSTOM])
def test_a_pipeline_is_created_renamed_in_place_guarded_and_emptied_before_a_delete(
    stack: StackHarness, object_type: str
) -> None:
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    pipelines = "/crm/pipelines/2026-09/{objectType}"
    stages = [{"name": "Intake"}, {"name": "Working"}, {"name": "Done"}]
    use(stack, object_type, {"name": "Onboarding", "stages": stages})
    stack.up()
    made = writes(stack)
    assert [(m, r) for m, r, _ in made] == [("POST", pipelines)]
    assert [s["metadata"] for s in made[0][2]["stages"]] == [{}, {}, {}]
    (pipeline_id,) = service.state.made_pipelines()
    assert service.state.pipelines[pipeline_id].object_type == object_type
    assert [n for n, _ in service.live_stages()] == ["Intake", "Working", "Done"]
    stack.assert_no_changes()

    renamed = {"name": "Onboarding 2", "key": "Onboarding", "stages": stages}
    use(stack, object_type, renamed)
    stack.up()
    print(f"\n{object_type} pipeline rename: {writes(stack)}")
    assert writes(stack) == [("PATCH", f"{pipelines}/{{pipelineId}}", {"label": "Onboarding 2"})]
    assert stack.emulator.log.entries()[-1].path.split("/")[4] == object_type
    stack.assert_no_changes()

    working = dict(service.live_stages())["Working"]
    service.put_records(working, 3)
    kept = [s for s in stages if s["name"] != "Working"]
    use(stack, object_type, {**renamed, "stages": kept})
    words = "3 leads" if object_type == "leads" else f"3 {CUSTOM} records"
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as refused:
            run()
        assert f"'Working' (id {working}) holds {words}; nothing was deleted." in str(refused.value)
        assert writes(stack) == []
    assert service.records_in(working) == 3

    retired = [{"name": "Working", "moved_to": "Done"}]
    use(stack, object_type, {**renamed, "stages": kept, "retired": retired})
    stack.up()
    done = dict(service.live_stages())["Done"]
    batches = [b for m, r, b in writes(stack) if r.endswith("/batch/update")]
    assert [i["properties"] for b in batches for i in b["inputs"]] == [
        {"hs_pipeline_stage": done, "hs_pipeline": pipeline_id}
    ] * 3
    deletes = [e for e in stack.emulator.log.entries() if e.method == "DELETE"]
    assert [e.query for e in deletes] == [{"validateReferencesBeforeDelete": "true"}]
    assert service.records_in(done) == 3 and "Working" not in dict(service.live_stages())
    stack.assert_no_changes()


def test_the_lead_pipeline_of_every_portal_with_leads_is_taken_over_by_id_with_no_write(
    stack: StackHarness,
) -> None:
    """[seen] `lead-pipeline-id` in public clients' code for real portals."""
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    stages = [{"name": n} for n in LEAD_DEFAULTS]
    pipeline = {"name": "Lead pipeline", "id": "lead-pipeline-id", "stages": stages}
    use(stack, "leads", pipeline)
    stack.up()
    assert writes(stack) == []
    assert service.state.made_pipelines() == {}
    (outs,) = stack.state_outputs("Pipeline").values()
    assert outs["pipeline_id"] == "lead-pipeline-id" and outs["object_type"] == "leads"
    stack.assert_no_changes()


def test_export_lists_each_type_the_account_has_and_adopts_with_no_writes(
    stack: StackHarness, shared: SharedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = shared.token
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    body = {
        "label": "Onboarding",
        "displayOrder": 0,
        "stages": [{"label": n, "displayOrder": i, "metadata": {}} for i, n in enumerate("AB")],
    }
    service.state.create_pipeline(CUSTOM, body)
    out = tmp_path / "stages.yaml"
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", token)
    monkeypatch.setenv("HUBSPOT_BASE_URL", stack.emulator.base_url)
    assert main(["export", "hubspot", "-o", str(out)]) == 0
    data = yaml.safe_load(out.read_text())["hubspot"]
    print(f"\nexported: { {k: len(v) for k, v in data.items() if k != 'adopt'} }")
    assert sorted(data) == ["adopt", "custom_objects", "deals", "leads", "tickets"]
    assert data["leads"] == [
        {
            "name": "Lead pipeline",
            "id": "lead-pipeline-id",
            "stages": [{"name": n} for n in LEAD_DEFAULTS],
        }
    ]
    assert data["custom_objects"] == {
        CUSTOM: [{"name": "Onboarding", "stages": [{"name": "A"}, {"name": "B"}]}]
    }
    stack.emulator.log.reset()
    stack.program = lambda: StageSet.from_file("crm", out) and None
    stack.up()
    assert stack.emulator.log.writes() == []
    stack.assert_no_changes()


def test_drift_places_a_stage_made_by_hand_inside_a_custom_objects_pipeline() -> None:
    """The export's `custom_objects` mapping and the resources' places meet per type id."""
    hubspot = adapters()["hubspot"]
    stages = [{"name": "Intake"}, {"name": "By hand"}]
    exported = {
        "adopt": True,
        "custom_objects": {CUSTOM: [{"name": "Onboarding", "stages": stages}]},
        "leads": [{"name": "Lead pipeline", "stages": [{"name": "New"}]}],
    }
    props = {"name": "Onboarding", "object_type": CUSTOM}
    held = Counter(
        {
            hubspot.locate("Pipeline", props): 1,
            hubspot.locate("Stage", {**props, "name": "Intake", "pipeline": "Onboarding"}): 1,
        }
    )
    rows, unmanaged = compare(hubspot, list(listed_places(exported)), held, counted=False)
    assert [(r.resource, r.field, r.where) for r in rows] == [
        ("hubspot stage 'By hand'", "(unexpected)", "hubspot 2-12345 pipeline 'Onboarding'")
    ]
    assert [(u.what, u.stages) for u in unmanaged] == [("hubspot lead pipeline 'Lead pipeline'", 1)]


def test_stages_yaml_refuses_a_31st_lead_stage_and_a_custom_object_named_not_by_type_id() -> None:
    """[doc] lead (order, service, ...) pipelines hold at most 30 stages, custom object pipelines
    100; [doc] a custom object is addressed by its type id `2-XXX`. Refused before any call,
    naming the file's line."""
    pipeline = {"name": "Inbound", "stages": [{"name": f"S{i}"} for i in range(31)]}
    text = yaml.safe_dump({"hubspot": {"leads": [pipeline]}}, sort_keys=False)
    with pytest.raises(StageSetError) as refused:
        load_text(text, "stages.yaml")
    print(f"\n31 lead stages: {refused.value}")
    assert "stages.yaml:" in str(refused.value) and "at most 30" in str(refused.value)
    custom = {"hubspot": {"custom_objects": {CUSTOM: [pipeline]}}}
    assert load_text(yaml.safe_dump(custom), "stages.yaml")  # 31 of 100
    with pytest.raises(StageSetError) as named:
        load_text("hubspot:\n  custom_objects:\n    pets: []\n", "stages.yaml")
    print(f"custom object by name: {named.value}")
    assert "stages.yaml:3:" in str(named.value)


def test_two_custom_objects_pipelines_of_one_label_are_told_apart_by_type(
    stack: StackHarness,
) -> None:
    """Single `Stage` resources name their pipeline by label: the label is looked up per object
    type, so a second custom object's pipeline of the same label is never taken for the
    first's (both types' records are "records")."""
    service: HubSpotService = stack.emulator.service  # type: ignore[assignment]
    service.state.options.custom_objects = (CUSTOM, "2-777")
    body = {"label": "Onboarding", "displayOrder": 0}
    first = service.state.create_pipeline(
        CUSTOM, {**body, "stages": [{"label": "A", "displayOrder": 0, "metadata": {}}]}
    )
    second = service.state.create_pipeline(
        "2-777", {**body, "stages": [{"label": "B", "displayOrder": 0, "metadata": {}}]}
    )

    def program() -> None:
        Stage("one", name="Intake", pipeline="Onboarding", object_type=CUSTOM)
        Stage("two", name="Intake", pipeline="Onboarding", object_type="2-777")

    stack.program = program
    stack.up()
    assert sorted(s.label for s in first.stages.values()) == ["A", "Intake"]
    assert sorted(s.label for s in second.stages.values()) == ["B", "Intake"]
    stack.assert_no_changes()


def test_a_type_the_account_lacks_stops_the_preview_naming_what_it_needs(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    """[seen] HubSpot answers "Unable to infer object type from: leads" for a type it cannot
    name; the preview stops there, says which subscription leads need, and writes nothing."""
    with EmulatorServer(HubSpotService(token=token)) as server:
        stack = StackHarness.create(tmp_path, pulumi_home, server, token, namespace="hubspot")
        try:
            use(stack, "leads", {"name": "Inbound", "stages": [{"name": "New"}]})
            with pytest.raises(auto.CommandError) as refused:
                stack.preview()
            text = str(refused.value)
            line = next(x for x in text.splitlines() if "Unable to infer object type" in x)
            print(f"\nno leads in the account: {line.strip()}")
            assert "leads need Sales Hub Professional or Enterprise" in text
            assert server.log.writes() == []
        finally:
            stack.remove()
