"""The root Pulumi.yaml project (the demo stage set) under plain `pulumi` commands, as users run it.

The project's two files are copied to a temporary folder so the stack's config file lands there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_stages.emulator import EmulatorServer
from tests.engine import ROOT, PulumiCli
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e

DEMO_STAGES = 6


def test_plain_pulumi_commands_apply_the_demo_stage_set(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT)
    pulumi("stack", "init", "cli-test", "--secrets-provider", SECRETS_PROVIDER)
    pulumi("config", "set", "outreach:baseUrl", outreach.base_url)  # the CLI's own config set
    pulumi("config", "set", "--secret", "outreach:accessToken", stdin=f"{token}\n")
    assert token not in (pulumi.project / "Pulumi.cli-test.yaml").read_text()

    preview = pulumi("preview", "--diff")
    assert f"+ {DEMO_STAGES + 3} to create" in preview  # + stack, StageSet, StageOrder
    # The preview writes nothing; it reads the account once, to refuse a duplicate name.
    assert outreach.log.counts() == {"GET /api/v2/stages": 1}
    outreach.log.reset()

    pulumi("up", "--yes", "--skip-preview")
    assert outreach.log.counts() == {"POST /api/v2/stages": DEMO_STAGES, "GET /api/v2/stages": 1}
    names = [s.name for s in sorted(outreach.service.state.listing(), key=lambda s: s.order)]  # type: ignore[attr-defined]
    assert names[:2] == ["Prospecting", "Qualified Lead"]
    assert len(names) == DEMO_STAGES

    outreach.log.reset()
    pulumi("preview", "--expect-no-changes")
    assert outreach.log.count() == 0

    exported = pulumi("stack", "export")
    assert token not in exported
    assert token not in "\n".join(pulumi.transcript)

    pulumi("destroy", "--yes", "--skip-preview")
    assert outreach.service.state.listing() == []  # type: ignore[attr-defined]
