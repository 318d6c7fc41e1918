"""The provider package's schema, config and wire values, without the engine: every resource of
every adapter is typed and described, a third CRM's types appear with no edit, secrets are
secret, and the package's config keys answer the core's."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.provider.experimental.provider import DiffRequest, ReadRequest

from pulumi_stages.core import registry
from pulumi_stages.core.config import resolve_endpoint
from pulumi_stages.core.unknowns import UNKNOWN
from pulumi_stages.emulator import EmulatorServer, OutreachService
from pulumi_stages.outreach.stage import SETTINGS as OUTREACH
from pulumi_stages.package.catalog import resource_types
from pulumi_stages.package.config import PackageConfig
from pulumi_stages.package.errors import in_package_words
from pulumi_stages.package.provider import CrmStagesProvider, _type_of, owner_of
from pulumi_stages.package.schema import schema
from pulumi_stages.package.values import plain_map, wrap, wrap_map
from tests.tinycrm import register as register_tiny


def resources() -> dict[str, Any]:
    found: dict[str, Any] = schema()["resources"]
    return found


def test_every_resource_of_every_adapter_is_a_package_type() -> None:
    expected = {
        "crmstages:outreach:Stage",
        "crmstages:outreach:StageOrder",
        "crmstages:capsule:Board",
        "crmstages:capsule:Stage",
        "crmstages:capsule:StageOrder",
        "crmstages:hubspot:Pipeline",
        "crmstages:hubspot:DealStage",
        "crmstages:hubspot:TicketStage",
        "crmstages:hubspot:DealStageOrder",
        "crmstages:hubspot:TicketStageOrder",
        "crmstages:hubspot:Stage",
        "crmstages:hubspot:StageOrder",
        "crmstages:index:StageSet",
    }
    assert set(resources()) == expected


@pytest.mark.parametrize("token", sorted(resource_types()))
def test_every_property_has_a_type_and_a_description(token: str) -> None:
    resource = resources()[token]
    assert resource["description"]
    for where in ("inputProperties", "properties"):
        for name, spec in resource[where].items():
            assert "type" in spec or "$ref" in spec, f"{token}.{name}: no type"
            assert spec["description"].strip(), f"{token}.{name}: no description"
    assert set(resource["requiredInputs"]) <= set(resource["inputProperties"])


def test_the_types_follow_the_adapters_models() -> None:
    stage = resources()["crmstages:outreach:Stage"]
    assert stage["requiredInputs"] == ["name"]
    inputs = stage["inputProperties"]
    assert (inputs["color"]["type"], inputs["order"]["type"]) == ("string", "integer")
    assert inputs["adopt"]["type"] == "boolean"
    assert "ordered_by_set" not in inputs and "retirement" not in inputs
    assert stage["properties"]["stage_id"]["type"] == "integer"
    deal = resources()["crmstages:hubspot:DealStage"]["inputProperties"]
    assert deal["probability"]["type"] == "number"
    order = resources()["crmstages:capsule:StageOrder"]["inputProperties"]
    assert order["stages"] == {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "Each stage's id, by stage name.",
    }


@pytest.fixture
def tiny() -> Iterator[None]:
    register_tiny()
    try:
        yield
    finally:
        registry.unregister("tinycrm")


def test_a_third_crm_adds_its_types_and_config_with_no_edit(tiny: None) -> None:
    found = schema()
    assert {"crmstages:tinycrm:Column", "crmstages:tinycrm:ColumnOrder"} <= set(found["resources"])
    column = found["resources"]["crmstages:tinycrm:Column"]
    assert column["requiredInputs"] == ["name"]
    assert "tinycrm_stage_ids" in found["resources"]["crmstages:index:StageSet"]["properties"]
    assert any(key.startswith("tiny") for key in found["config"]["variables"])


def test_credentials_are_secret_config_and_urls_are_not() -> None:
    variables = schema()["config"]["variables"]
    secret = {name for name, spec in variables.items() if spec.get("secret")}
    for crm in ("outreach", "capsule", "hubspot"):
        assert {f"{crm}AccessToken", f"{crm}RefreshToken", f"{crm}ClientSecret"} <= secret
        assert f"{crm}BaseUrl" in variables and f"{crm}BaseUrl" not in secret
    assert {"memory", "memoryKey"} <= secret
    assert schema()["provider"]["inputProperties"] == variables


def test_the_schema_module_prints_the_schema() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "pulumi_stages.package.schema"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(printed) == schema()


def test_package_config_keys_answer_the_cores_and_the_environment_still_counts() -> None:
    config = PackageConfig(
        {"outreachAccessToken": "tok-1", "outreachBaseUrl": "http://127.0.0.1:9/api/v2"}
    )
    assert config.get("outreach:accessToken") == "tok-1"
    endpoint = resolve_endpoint(OUTREACH, config, environ={})
    assert (endpoint.base_url, endpoint.token) == ("http://127.0.0.1:9/api/v2", "tok-1")
    from_env = resolve_endpoint(OUTREACH, PackageConfig({}), environ={"OUTREACH_ACCESS_TOKEN": "t"})
    assert from_env.token == "t"


def test_messages_name_the_packages_config_keys() -> None:
    text = "check outreach:accessToken (or OUTREACH_ACCESS_TOKEN); pulumiStages:memory is unset"
    assert in_package_words(text) == (
        "check crmstages:outreachAccessToken (or OUTREACH_ACCESS_TOKEN); crmstages:memory is unset"
    )


def test_values_cross_the_wire_as_the_dynamic_providers_see_them() -> None:
    values = {"name": "A", "order": 3, "adopt": True, "stages": {"A": UNKNOWN}, "seed": [None]}
    wrapped = wrap_map(values)
    assert wrapped["order"] == wrap(3.0)
    assert plain_map(wrapped) == {**values, "order": 3.0}
    assert wrapped["stages"].marshal()  # an unknown marshals (as the wire's sentinel)


def test_urns_give_the_type_and_the_owner_the_python_door_uses() -> None:
    urn = "urn:pulumi:dev::sales::crmstages:index:StageSet$crmstages:outreach:Stage::s/a"
    assert _type_of(urn) == "crmstages:outreach:Stage"
    assert owner_of(urn) == "organization/sales/dev"


def test_a_preview_shows_only_the_fields_that_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage of a set renamed: its name changes; its position (the set's, kept out of its
    state) and its own bookkeeping inputs are not shown as changing."""
    with EmulatorServer(OutreachService(token="tok-1")) as outreach:
        made = outreach.service.state.create({"name": "New", "color": "#9e9e9e"})  # type: ignore[attr-defined]
        monkeypatch.setenv("OUTREACH_ACCESS_TOKEN", "tok-1")
        monkeypatch.setenv("OUTREACH_BASE_URL", outreach.base_url)
        urn = "urn:pulumi:dev::sales::crmstages:index:StageSet$crmstages:outreach:Stage::s/New"
        state = {"name": "New", "color": "#9e9e9e", "stage_id": made.id, "ordered_by_set": True}
        inputs = {"name": "Fresh", "color": "#9e9e9e", "order": 10, "ordered_by_set": True}
        request = DiffRequest(urn, str(made.id), wrap_map(state), wrap_map(inputs), [])
        loop = asyncio.new_event_loop()  # not asyncio.run: it unsets the loop other tests use
        try:
            answer = loop.run_until_complete(CrmStagesProvider().diff(request))
        finally:
            loop.close()
    assert answer.changes is True
    assert list(answer.detailed_diff) == ["name"]


def test_a_refresh_through_the_package_keeps_undeclared_fields_out_of_the_inputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A colour set by hand on a stage that declares none shows in the read's outputs, never in
    its inputs (the next `up` would rewrite every such stage); a declared name changed by hand
    is in both, so the next `up` puts it back."""
    with EmulatorServer(OutreachService(token="tok-1")) as outreach:
        made = outreach.service.state.create({"name": "Edited", "color": "#2ecc71"})  # type: ignore[attr-defined]
        monkeypatch.setenv("OUTREACH_ACCESS_TOKEN", "tok-1")
        monkeypatch.setenv("OUTREACH_BASE_URL", outreach.base_url)
        urn = "urn:pulumi:dev::sales::crmstages:index:StageSet$crmstages:outreach:Stage::s/New"
        state = {"name": "New", "stage_id": made.id, "ordered_by_set": True}
        inputs = {"name": "New", "ordered_by_set": True, "managed_by": "organization/sales/dev"}
        request = ReadRequest(urn, str(made.id), wrap_map(state), wrap_map(inputs))
        loop = asyncio.new_event_loop()  # not asyncio.run: it unsets the loop other tests use
        try:
            answer = loop.run_until_complete(CrmStagesProvider().read(request))
        finally:
            loop.close()
    outputs, read_inputs = plain_map(answer.properties or {}), plain_map(answer.inputs or {})
    assert outputs["color"] == "#2ecc71" and outputs["name"] == "Edited"
    assert "color" not in read_inputs
    assert read_inputs["name"] == "Edited"
