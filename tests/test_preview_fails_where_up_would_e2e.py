"""A green preview is one the `up` can apply: an account that cannot be read, or a setting the
`up` would refuse, fails the preview with the reason and the setting to fix; no guard is
skipped, and the URL rules cost no request."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import OutreachService
from pulumi_stages.stageset import StageSet
from tests.engine import StackHarness, stages
from tests.saved_start import SavedStart, module_start

pytestmark = pytest.mark.e2e


def create_two(stack: StackHarness) -> None:
    stack.declared = stages("Lead", "Won")
    stack.up()


@pytest.fixture(scope="module")
def two_created(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    """Two stages created by one `up`, once per module."""
    yield from module_start(tmp_path_factory, pulumi_home, OutreachService, setup=create_two)


@pytest.fixture(scope="module")
def empty_start(
    tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path
) -> Iterator[SavedStart]:
    yield from module_start(tmp_path_factory, pulumi_home, OutreachService)


@pytest.fixture
def created(two_created: SavedStart) -> Iterator[StackHarness]:
    """The stack and account as the `up` of two stages left them."""
    with two_created.restored() as harness:
        yield harness


@pytest.fixture
def stack(empty_start: SavedStart) -> Iterator[StackHarness]:
    """A new stack (no `up` yet) over an empty account."""
    with empty_start.restored() as harness:
        yield harness


WRONG = "tok-wrong-abcdef123456"


def failed_preview(stack: StackHarness) -> str:
    """The text of a preview that must fail; it must have written nothing."""
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert stack.emulator.log.writes() == []
    text = str(failure.value)
    assert "Traceback" not in text
    return text


def test_preview_of_a_create_with_a_wrong_token_fails_naming_the_setting(
    stack: StackHarness,
) -> None:
    stack.set_token(WRONG)
    stack.declared = stages("Lead")
    text = failed_preview(stack)
    assert (
        "Outreach rejected GET /stages: The access token is missing, invalid or expired. "
        "(401 unauthorized); check outreach:accessToken (or OUTREACH_ACCESS_TOKEN); it may have "
        "expired. Nothing was changed: the check before any write could not list the stages to "
        "make sure no other one holds this name (a preview stops at this check as an `up` does)."
        in text
    )
    assert WRONG not in text
    assert WRONG not in "\n".join(stack.output)


def test_preview_of_a_create_with_no_api_listening_names_the_base_url(
    stack: StackHarness,
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stack.stack.set_config("outreach:baseUrl", auto.ConfigValue(f"http://127.0.0.1:{port}/api"))
    stack.declared = stages("Lead")
    text = failed_preview(stack)
    assert f"Outreach at http://127.0.0.1:{port}/api did not answer GET /stages" in text
    assert "check outreach:baseUrl (or OUTREACH_BASE_URL) and outreach:accessToken" in text


@pytest.mark.parametrize(
    ("base_url", "refusal"),
    [
        (
            "http://crm.example.invalid/api/v2",
            "The Outreach base URL must be an https:// URL (http:// is accepted only for "
            "127.0.0.1 or localhost, where the emulators run), got "
            "'http://crm.example.invalid/api/v2'; credentials are never sent in clear text.",
        ),
        (
            "https://user:hunter2@crm.example.invalid/api/v2",
            "The Outreach base URL must be a plain https:// URL with a host, got "
            "'https://crm.example.invalid/api/v2'.",
        ),
    ],
)
def test_preview_refuses_what_up_refuses_about_the_endpoint_with_no_request(
    created: StackHarness, base_url: str, refusal: str
) -> None:
    stack = created
    stack.stack.set_config("outreach:baseUrl", auto.ConfigValue(base_url))

    stack.declared.append(stages("Lead", "Won", "New")[2])  # a create
    text = failed_preview(stack)
    assert refusal in text
    assert "hunter2" not in text
    assert stack.emulator.log.counts() == {}

    stack.declared = stages("Lead", "Won", color="#1abc9c")  # only updates
    text = failed_preview(stack)
    assert refusal in text
    assert stack.emulator.log.counts() == {}


def test_preview_of_a_change_with_no_token_fails_as_the_up_would(created: StackHarness) -> None:
    stack = created
    stack.stack.remove_config("outreach:accessToken")
    stack.assert_no_changes()  # nothing to apply: nothing to authorise
    stack.declared = stages("Lead", "Won", color="#1abc9c")
    text = failed_preview(stack)
    assert "No Outreach access token: set it with `pulumi config set --secret" in text
    assert stack.emulator.log.counts() == {}


def test_preview_of_a_retirement_with_a_wrong_token_fails_instead_of_dropping_its_note(
    stack: StackHarness,
) -> None:
    declared: dict[str, Any] = {"outreach": {"stages": [{"name": "Lead"}, {"name": "Old"}]}}

    def program() -> None:
        StageSet("sales", declared)

    stack.program = program
    stack.up()
    declared["outreach"] = {
        "stages": [{"name": "Lead"}],
        "retired": [{"name": "Old", "moved_to": "Lead"}],
    }
    stack.set_token(WRONG)
    text = failed_preview(stack)
    assert "(401 unauthorized); check outreach:accessToken" in text
    assert "could not count the records of the retired stage" in text
