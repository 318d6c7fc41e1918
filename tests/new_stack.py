"""A new stack for each test, copied from one `pulumi stack init` per test process.

`pulumi stack init` and `pulumi config set-all` cost two CLI starts, about 0.4 CPU-s each, in
every test that makes a stack. A new stack on a file backend is a few files: the backend's
`meta.yaml` and empty checkpoint, and `Pulumi.<stack>.yaml` naming the secrets provider and the
data key it wrapped. So one real `stack init` per test process makes them, each test copies
them, and its config is written as `config set-all` writes it, the token encrypted as the CLI
encrypts a secret (AES-256-GCM under the stack's data key, which the Vault stand-in unwraps).
A stack a plain `pulumi` test makes with the CLI gets its config the same way (`set_config`).
tests/test_suite_stacks.py checks that the CLI reads such a stack's config back; the tests of
`pulumi config set` itself still run it (the CLI project, wheel, SDK and YAML-package tests,
and `StackHarness.set_token`).

The copies of one test process share one data key: a test that moved secrets between two of
its stacks could not see a missing re-encryption (none does; such a test makes its own stacks).
"""

from __future__ import annotations

import base64
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pulumi import automation as auto

from tests import vault
from tests.vault import SECRETS_PROVIDER

PROJECT = "stages-test"
STACK = "test"


@dataclass(frozen=True)
class Template:
    """The files of a new, empty stack: its backend folder and its stack settings."""

    state: Path
    settings: dict[str, Any]


def encrypt(value: str, key: bytes) -> str:
    """`value` as `pulumi config set --secret` stores it (the CLI's symmetric crypter)."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), None)
    return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"


_TEMPLATES: dict[Path, Template] = {}


def template(pulumi_home: Path, pulumi_command: auto.PulumiCommand) -> Template:
    """The empty stack this test process copies, made by the CLI once per PULUMI_HOME (the
    process's own), in a folder beside it."""
    if pulumi_home not in _TEMPLATES:
        _TEMPLATES[pulumi_home] = _make_template(pulumi_home, pulumi_command)
    return _TEMPLATES[pulumi_home]


def _make_template(pulumi_home: Path, pulumi_command: auto.PulumiCommand) -> Template:
    folder = Path(tempfile.mkdtemp(prefix="stack-template-", dir=pulumi_home.parent))
    state = folder / "state"
    state.mkdir()
    auto.create_stack(
        STACK,
        project_name=PROJECT,
        program=lambda: None,
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(folder),
            pulumi_home=str(pulumi_home),
            project_settings=project_settings(state),
            secrets_provider=SECRETS_PROVIDER,
            pulumi_command=pulumi_command,
        ),
    )
    settings = yaml.safe_load((folder / f"Pulumi.{STACK}.yaml").read_text())
    return Template(state=state, settings=settings)


def project_settings(backend: Path) -> auto.ProjectSettings:
    return auto.ProjectSettings(
        name=PROJECT, runtime="python", backend=auto.ProjectBackend(url=backend.as_uri())
    )


def lay_out(
    work_dir: Path,
    backend: Path,
    empty: Template,
    config: dict[str, str],
    secret: dict[str, str],
) -> None:
    """Put a copy of the empty stack in `backend`, with its settings and this config (plain
    and secret values) in `work_dir`."""
    shutil.copytree(empty.state, backend)
    settings = work_dir / f"Pulumi.{STACK}.yaml"
    settings.write_text(yaml.safe_dump(empty.settings, sort_keys=False))
    set_config(settings, config, secret)


def set_config(settings: Path, config: dict[str, str], secret: dict[str, str]) -> None:
    """Set config values in a stack's settings file, as one `pulumi config set-all` run would
    set them, with no CLI start: plain ones in any stack, secret ones in a stack of the Vault
    stand-in (whose data key this process can unwrap)."""
    values = yaml.safe_load(settings.read_text()) or {}
    config_values = values.get("config") or {}
    config_values.update(config)
    if secret:
        if values.get("secretsprovider") != SECRETS_PROVIDER or "encryptedkey" not in values:
            raise ValueError(f"{settings.name}: not a stack of the Vault stand-in; use the CLI")
        key = vault.unwrap_data_key(values["encryptedkey"])
        config_values.update({name: {"secure": encrypt(v, key)} for name, v in secret.items()})
    values["config"] = config_values
    settings.write_text(yaml.safe_dump(values, sort_keys=False))


def existing_stack(workspace: auto.LocalWorkspace) -> auto.Stack:
    """The Automation API's handle on the stack laid out in the workspace, without the
    `pulumi stack select` that selecting runs first: a CLI start for nothing, as every command
    the handle runs names its stack (`--stack`)."""
    workspace.select_stack = lambda stack_name: None  # type: ignore[method-assign]
    try:
        return auto.Stack.select(STACK, workspace)
    finally:
        del workspace.select_stack
