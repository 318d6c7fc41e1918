"""`pulumi import` through the provider package: a stage made by hand in the CRM is imported by
id, the code the CLI writes for it declares it, and the next preview is empty (no write)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pulumi_stages.emulator import CapsuleService, EmulatorServer, OutreachService
from pulumi_stages.emulator.hubspot import HubSpotService
from tests.engine import PulumiCli
from tests.stack_setup import init_stack

pytestmark = pytest.mark.e2e

EMPTY_PROJECT = "name: imports\nruntime: yaml\nresources: {}\n"


def yaml_project(
    tmp_path: Path, home: Path, emulator: EmulatorServer, token: str, crm: str
) -> PulumiCli:
    """An empty Pulumi YAML project whose stack's crmstages config points at the emulator."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "Pulumi.yaml").write_text(EMPTY_PROJECT)
    pulumi = PulumiCli(tmp_path, home, source)
    init_stack(
        pulumi,
        "dev",
        {f"crmstages:{crm}BaseUrl": emulator.base_url},
        {f"crmstages:{crm}AccessToken": token},
    )
    return pulumi


def import_then_declare(pulumi: PulumiCli, token: str, name: str, id_: str) -> dict[str, object]:
    """`pulumi import TYPE NAME ID`, then the program declares what the CLI wrote for it; the
    preview after plans nothing. Returns the imported resource's declaration."""
    written = pulumi.project / "imported.yaml"
    pulumi("import", token, name, id_, "--yes", "--out", str(written))
    imported = yaml.safe_load(written.read_text())["resources"]
    program = yaml.safe_load((pulumi.project / "Pulumi.yaml").read_text())
    program["resources"] = imported
    (pulumi.project / "Pulumi.yaml").write_text(yaml.safe_dump(program))
    pulumi("preview", "--expect-no-changes")
    declared: dict[str, object] = imported[name]
    return declared


def test_a_hand_made_outreach_stage_is_imported_and_the_next_preview_is_empty(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    with EmulatorServer(OutreachService(token=token)) as outreach:
        made = outreach.service.state.create(  # type: ignore[attr-defined]
            {"name": "Closed Won", "color": "#00FF00", "order": 5}
        )
        pulumi = yaml_project(tmp_path, pulumi_home, outreach, token, "outreach")
        outreach.log.reset()
        declared = import_then_declare(
            pulumi, "crmstages:outreach:Stage", "closed-won", str(made.id)
        )
        assert outreach.log.writes() == []
    assert declared["type"] == "crmstages:outreach:Stage"
    assert declared["properties"] == {"name": "Closed Won", "color": "#00ff00", "order": 5}
    assert token not in "\n".join(pulumi.transcript)


def test_a_hand_made_hubspot_deal_stage_is_imported_and_the_next_preview_is_empty(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    with EmulatorServer(HubSpotService(token=token)) as hubspot:
        pipeline = hubspot.service.state.create_pipeline(  # type: ignore[attr-defined]
            "deals",
            {
                "label": "Sales",
                "displayOrder": 1,
                "stages": [
                    {"label": "Demo", "displayOrder": 1, "metadata": {"probability": "0.3"}}
                ],
            },
        )
        [demo] = pipeline.stages
        pulumi = yaml_project(tmp_path, pulumi_home, hubspot, token, "hubspot")
        hubspot.log.reset()
        declared = import_then_declare(pulumi, "crmstages:hubspot:DealStage", "demo", demo)
        assert hubspot.log.writes() == []
    assert declared["type"] == "crmstages:hubspot:DealStage"
    properties = declared["properties"]
    assert isinstance(properties, dict)
    assert (properties["name"], properties["pipeline"], properties["probability"]) == (
        "Demo",
        "Sales",
        0.3,
    )
    assert token not in "\n".join(pulumi.transcript)


def test_a_hand_made_capsule_stage_is_imported_and_the_next_preview_is_empty(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    with EmulatorServer(CapsuleService(token=token)) as capsule:
        state = capsule.service.state  # type: ignore[attr-defined]
        board = state.create_board("Projects")
        review = state.create_stage({"name": "Review", "board": {"id": board.id}})
        pulumi = yaml_project(tmp_path, pulumi_home, capsule, token, "capsule")
        capsule.log.reset()
        declared = import_then_declare(pulumi, "crmstages:capsule:Stage", "review", str(review.id))
        assert capsule.log.writes() == []
    properties = declared["properties"]
    assert isinstance(properties, dict)
    assert (properties["name"], properties["board"]) == ("Review", "Projects")
