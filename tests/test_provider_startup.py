"""What a provider process loads when the engine starts it: every `pulumi` operation starts
one per stack, so a driver only some stacks need must not be imported by all of them, nor another
adapter, the component or the emulators; and what state holds of our providers still loads."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import pulumi_stages
from tests.provider_process import first_answer, read_and_delete, scenarios

OPTIONAL_DRIVERS = ("pg8000", "boto3")


def test_a_provider_process_loads_no_backend_driver_until_its_store_needs_one() -> None:
    probe = (
        "import sys, pulumi.dynamic\n"
        "import pulumi_stages.outreach.stage, pulumi_stages.capsule.stage\n"
        "import pulumi_stages.hubspot.stage, pulumi_stages.core.memory\n"
        f"print(sorted(m for m in {OPTIONAL_DRIVERS!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


STATE_PICKLES = Path(__file__).parent / "data" / "state_provider_pickles.json"
"""Every provider class main (5ab498f) pickles into state, as the SDK's `serialize_provider`
wrote it then: by reference, `{"<module>.<class>": "<base64 dill pickle>"}`."""

NOT_FOR_ONE_ADAPTER = (
    "pulumi_stages.stageset",  # the component: only a program declares it
    "pulumi_stages.emulator",
    "pulumi_stages.package",
    "pulumi_stages.core.registry",  # and with it every adapter's section models
    "pulumi_stages.core.sections",
    "cryptography",  # sealing rotated OAuth tokens: none are configured here
    "pulumi_stages.core.memory.postgres",  # the stores of state kept elsewhere than files
    "pulumi_stages.core.memory.s3",
    *OPTIONAL_DRIVERS,
    "pg8000.native",
)
"""What a provider process of one adapter, with no OAuth and no store configured, never imports
before its first answer (each costs CPU in every `pulumi` operation's provider process)."""


@pytest.mark.parametrize("adapter", ["outreach", "capsule", "hubspot"])
def test_a_provider_process_imports_only_its_own_adapter(adapter: str) -> None:
    start = first_answer(scenarios()[adapter], modules=True)
    assert f"pulumi_stages.{adapter}.stage" in start.modules  # it did unpickle our provider
    others = [f"pulumi_stages.{a}" for a in ("outreach", "capsule", "hubspot") if a != adapter]
    banned = (*others, *NOT_FOR_ONE_ADAPTER)
    banned_packages = tuple(f"{b}." for b in banned)
    loaded = [m for m in sorted(start.modules) if m in banned or m.startswith(banned_packages)]
    assert loaded == []


VALIDATION = ("pydantic", "pydantic_core", "pulumi_stages.core.checking")
"""What only validating declared inputs needs (check, create, update): never a refresh's or a
destroy's provider process, which pays about 60 ms a start for it (`bench.refresh_floor`)."""

HTTP_CLIENT = ("httpx", "httpcore", "h11")
"""What only a request needs: httpx and its transports (the retry library, tenacity, loads only
with a create or once a call has failed)."""


@pytest.mark.parametrize("adapter", ["outreach", "capsule", "hubspot"])
def test_a_provider_process_that_sends_no_request_loads_no_http_client(adapter: str) -> None:
    """Checking and diffing an unchanged stage (every stage of a no-op preview) asks the account
    nothing, so it never loads httpx (nor validation: the last check passed it); checking a new
    one looks its name up, and loads it for that."""
    idle = first_answer(scenarios()[adapter], modules=True, unchanged=True)
    assert f"pulumi_stages.{adapter}.stage" in idle.modules  # it did unpickle our provider
    assert [m for m in HTTP_CLIENT if m in idle.modules] == []
    assert [m for m in VALIDATION if m in idle.modules] == []  # unchanged: taken as checked
    asking = first_answer(scenarios()[adapter], modules=True)
    assert [m for m in HTTP_CLIENT if m in asking.modules] == list(HTTP_CLIENT)


@pytest.mark.parametrize("adapter", ["outreach", "capsule", "hubspot"])
def test_a_provider_process_that_reads_and_deletes_loads_no_validation(adapter: str) -> None:
    """Nor the retry library: every call was answered the first time."""
    done = read_and_delete(scenarios()[adapter])
    assert done.read_id and done.gone_after_delete  # it did read the stage, then delete it
    assert "httpx" in done.modules  # it did ask the account
    assert [m for m in (*VALIDATION, "tenacity") if m in done.modules] == []


def test_a_hubspot_deal_stage_provider_does_not_import_the_other_object_types() -> None:
    start = first_answer(scenarios()["hubspot"], modules=True)
    assert "pulumi_stages.hubspot.stage" in start.modules
    assert "pulumi_stages.hubspot.object_stages" not in start.modules


def test_every_provider_reference_a_state_of_main_holds_still_unpickles() -> None:
    """A fresh process (as the provider process is) unpickles each pickle main wrote into
    state to an instance of the class of that exact module path and name."""
    pickles = json.loads(STATE_PICKLES.read_text())
    probe = (
        "import base64, json, sys, dill\n"
        "from pulumi.dynamic import ResourceProvider\n"
        "found = {}\n"
        "for name, text in json.loads(sys.stdin.read()).items():\n"
        "    provider = dill.loads(base64.b64decode(text))\n"
        "    assert isinstance(provider, ResourceProvider), name\n"
        "    cls = type(provider)\n"
        "    found[name] = f'{cls.__module__}.{cls.__qualname__}'\n"
        f"found['validation'] = [m for m in {VALIDATION!r} if m in sys.modules]\n"
        "print(json.dumps(found))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        input=json.dumps(pickles),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout) == {**{name: name for name in pickles}, "validation": []}
    assert len(pickles) >= 16  # every adapter's stage, order, board and pipeline providers


def test_every_module_of_the_package_has_current_bytecode_before_the_run() -> None:
    """conftest writes the package's bytecode at the start of the run, so no provider process
    compiles a module from source (nothing else writes it where PYTHONDONTWRITEBYTECODE is set)."""
    package = Path(pulumi_stages.__file__).parent
    stale = []
    for source in sorted(package.rglob("*.py")):
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16] if cached.exists() else b""
        stat = source.stat()
        expected = (
            importlib.util.MAGIC_NUMBER
            + b"\0\0\0\0"
            + (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
            + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
        )
        if header != expected:
            stale.append(str(source.relative_to(package)))
    assert stale == []
