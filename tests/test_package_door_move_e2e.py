"""A stack moves from the Python door to the provider package without recreating a stage: the
YAML program aliases each top-level resource to its old type (a stage set's children follow),
the preview is empty, the `up` makes no request, and the package then owns every resource."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pulumi_stages.emulator import EmulatorServer, OutreachService
from tests.engine import PulumiCli
from tests.test_package_yaml_e2e import PYTHON_TWIN, YAML_EXAMPLE
from tests.vault import SECRETS_PROVIDER

pytestmark = pytest.mark.e2e

OLD_TYPES = {
    "sales": "pulumi-stages:index:StageSet",
    "lost": "pulumi-python:dynamic/outreach:Stage",
}
"""The Python door's types of examples/yaml's resources (the twin's)."""


def aliased(program: dict[str, object], stack: str) -> dict[str, object]:
    """The YAML program with each resource aliased to its Python door's URN (Pulumi YAML takes
    literal URNs only, as `pulumi stack --show-urns` prints them)."""
    resources = program["resources"]
    assert isinstance(resources, dict)
    for name, old_type in OLD_TYPES.items():
        urn = f"urn:pulumi:{stack}::{program['name']}::{old_type}::{name}"
        resources[name]["options"] = {"aliases": [urn]}
    return program


def test_a_python_stack_moves_to_the_package_by_aliases_with_no_request(
    tmp_path: Path, pulumi_home: Path, token: str
) -> None:
    with EmulatorServer(OutreachService(token=token)) as outreach:
        pulumi = PulumiCli(tmp_path, pulumi_home, PYTHON_TWIN)
        shutil.copy(YAML_EXAMPLE / "stages.yaml", pulumi.project / "stages.yaml")
        pulumi.env.update(OUTREACH_BASE_URL=outreach.base_url, OUTREACH_ACCESS_TOKEN=token)
        # the environment serves both doors: no stack config
        pulumi("stack", "init", "dev", "--secrets-provider", SECRETS_PROVIDER)
        pulumi("up", "--yes", "--skip-preview")
        made = {s.id for s in outreach.service.state.listing()}  # type: ignore[attr-defined]
        assert len(made) == 5

        (pulumi.project / "__main__.py").unlink()
        program = yaml.safe_load((YAML_EXAMPLE / "Pulumi.yaml").read_text())
        (pulumi.project / "Pulumi.yaml").write_text(yaml.safe_dump(aliased(program, "dev")))
        outreach.log.reset()
        pulumi("preview", "--expect-no-changes")
        pulumi("up", "--yes", "--skip-preview")
        assert outreach.log.counts() == {}
        state = yaml.safe_load(pulumi("stack", "export"))
        types = {r["type"] for r in state["deployment"]["resources"]}
        assert not any(t.startswith(("pulumi-python", "pulumi-stages")) for t in types), types
        assert {"crmstages:index:StageSet", "crmstages:outreach:Stage"} <= types
        pulumi("preview", "--expect-no-changes")

        pulumi("destroy", "--yes", "--skip-preview")
        assert outreach.service.state.listing() == []  # type: ignore[attr-defined]
        assert outreach.log.counts()["DELETE /api/v2/stages/{id}"] == 5
