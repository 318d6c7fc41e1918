"""The suite's stacks keep their data key with the Vault transit stand-in (tests/vault.py), not
a passphrase whose key derivation costs every CLI command 0.2 CPU-s; and the stand-in answers
the two transit calls as Vault does."""

from __future__ import annotations

import ast
import base64
import json
import os
import re
from pathlib import Path

import httpx
import pytest
import yaml

from pulumi_stages.emulator import EmulatorServer
from tests.engine import ROOT, StackHarness
from tests.vault import SECRETS_PROVIDER, TOKEN

PASSPHRASE_ON_PURPOSE = {"test_wheel_newest_sdk_e2e.py"}
"""Files that keep the passphrase provider: the wheel test runs as a user's fresh install."""

STACK_INIT = re.compile(r"""["']stack["']\s*,\s*["']init["'][^\n]*""")
"""A `stack init` as argv items (`"stack", "init"`, either quote), to the end of its line (where
the suite's calls name the provider)."""
MAKES_A_STACK = {"create_stack", "create_or_select_stack"}


def automation_stacks(source: str) -> list[str]:
    """Each Automation API call in `source` that makes a stack, as code."""
    return [
        ast.unparse(node)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
        in MAKES_A_STACK
    ]


def suite_sources() -> list[tuple[str, str]]:
    """Name and text of each test module that should make Vault stacks (not this one)."""
    return [
        (path.name, path.read_text())
        for path in sorted((ROOT / "tests").glob("*.py"))
        if path.name not in PASSPHRASE_ON_PURPOSE and path != Path(__file__)
    ]


def test_every_stack_init_in_the_suite_names_the_vault_provider() -> None:
    plain = [
        f"{name}: {match.group(0)}"
        for name, text in suite_sources()
        for match in STACK_INIT.finditer(text)
        if "SECRETS_PROVIDER" not in match.group(0)
    ]
    assert not plain, f"stack init without --secrets-provider SECRETS_PROVIDER: {plain}"


def test_every_automation_stack_names_the_vault_provider() -> None:
    plain = [
        f"{name}: {call[:60]}"
        for name, text in suite_sources()
        for call in automation_stacks(text)
        if "secrets_provider=SECRETS_PROVIDER" not in call
    ]
    assert not plain, f"a stack made without secrets_provider=SECRETS_PROVIDER: {plain}"


@pytest.mark.parametrize(
    "call",
    [
        'pulumi("stack", "init", "dev")',
        "run(['pulumi', 'stack' , 'init'])",
        'run(["pulumi", "stack", "init",\n "--secrets-provider", SECRETS_PROVIDER])',
    ],
)
def test_the_checks_pattern_finds_a_plain_stack_init(call: str) -> None:
    found = STACK_INIT.search(call)
    assert found and "SECRETS_PROVIDER" not in found.group(0)


def test_the_automation_pattern_finds_a_plain_create_stack() -> None:
    text = 'auto.create_stack("s", opts=auto.LocalWorkspaceOptions(work_dir=str(x)))'
    assert [call.startswith("auto.create_stack(") for call in automation_stacks(text)] == [True]


@pytest.mark.e2e
def test_a_harness_stack_is_a_vault_stack(stack: StackHarness) -> None:
    work = Path(stack.stack.workspace.work_dir)
    settings = yaml.safe_load((work / "Pulumi.test.yaml").read_text())
    assert settings["secretsprovider"] == SECRETS_PROVIDER
    assert "encryptedkey" in settings and "encryptionsalt" not in settings


@pytest.mark.e2e
def test_a_copied_stack_is_one_the_cli_reads_as_its_own(
    stack: StackHarness, outreach: EmulatorServer, token: str
) -> None:
    """A harness stack is a copy of one `stack init` made (tests/new_stack.py), its config
    written and its token encrypted here: the CLI lists the stack, and reads the config back
    (the token decrypted with the stack's data key) as if `config set-all` had written it."""
    assert stack.cli("stack", "ls", "--json").count('"name": "test"') == 1
    assert stack.cli("config", "get", "outreach:baseUrl").strip() == outreach.base_url
    assert stack.cli("config", "get", "outreach:accessToken").strip() == token
    shown = json.loads(stack.cli("config", "--json"))
    assert shown["outreach:accessToken"] == {"secret": True}  # a secret, shown as one


def test_the_stand_in_wraps_and_unwraps_and_refuses_a_wrong_token() -> None:
    url = os.environ["VAULT_SERVER_URL"]
    key = base64.b64encode(b"a data key of 32 bytes, exactly!").decode()
    headers = {"X-Vault-Token": TOKEN}
    with httpx.Client(base_url=url) as vault:
        wrapped = vault.put("/v1/transit/encrypt/stages", json={"plaintext": key}, headers=headers)
        assert wrapped.status_code == 200
        ciphertext = wrapped.json()["data"]["ciphertext"]
        assert ciphertext.startswith("vault:v1:") and key not in ciphertext
        opened = vault.put(
            "/v1/transit/decrypt/stages", json={"ciphertext": ciphertext}, headers=headers
        )
        assert opened.json()["data"]["plaintext"] == key
        tampered = ciphertext[:-4] + ("AAAA" if not ciphertext.endswith("AAAA") else "BBBB")
        refused = vault.put(
            "/v1/transit/decrypt/stages", json={"ciphertext": tampered}, headers=headers
        )
        assert refused.status_code == 400
        denied = vault.put(
            "/v1/transit/encrypt/stages", json={"plaintext": key}, headers={"X-Vault-Token": "x"}
        )
        assert denied.status_code == 403
