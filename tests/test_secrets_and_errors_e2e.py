"""Tokens stay out of state, output and errors; API errors reach the user as one readable line."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import dill
import pytest
from pulumi import automation as auto

from pulumi_stages.emulator import OutreachService
from pulumi_stages.emulator.outreach import JsonApiError
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
    """Two stages created by one `up`, once per module (its output is kept for the test that
    checks every run's output for the token)."""
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


def test_secret_token_never_appears_in_state_or_output(
    two_created: SavedStart, created: StackHarness
) -> None:
    stack, token = created, two_created.token
    stack.refresh()
    stack.preview()
    exported = stack.exported_text()
    assert token not in exported
    assert token not in "\n".join(two_created.harness.output + stack.output)  # the up's too
    assert '"ciphertext"' in exported, "the token should be in state only as a stack secret"
    provider_blobs = [outputs["__provider"] for outputs in stack.state_outputs().values()]
    assert len(provider_blobs) == 2
    for blob in provider_blobs:
        assert isinstance(blob, str), "__provider should be a plain value: it holds no secret"
        assert token.encode() not in base64.b64decode(blob)
        unpickled = dill.loads(base64.b64decode(blob)).__dict__
        assert unpickled == {"_config": None, "_memory": None, "_endpoint": None}


def test_rotated_token_shows_no_changes(two_created: SavedStart, created: StackHarness) -> None:
    stack, token = created, two_created.token
    rotated = "tok-rotated-0123456789"
    stack.emulator.service.oauth.add_access_token(rotated)  # type: ignore[attr-defined]
    stack.emulator.service.oauth.revoke_access_token(token)  # type: ignore[attr-defined]
    stack.set_token(rotated)
    stack.assert_no_changes()
    stack.declared[0].name = "Lead (renamed)"
    stack.up()
    assert stack.emulator.log.count("PATCH") == 1
    assert rotated not in stack.exported_text()


def test_wrong_token_fails_with_one_line_and_leaves_state_empty(stack: StackHarness) -> None:
    wrong = "tok-wrong-abcdef123456"
    stack.set_token(wrong)
    stack.declared = stages("Lead")
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    text = str(failure.value)
    assert (  # the duplicate guard's read fails first: the POST is never sent
        "Outreach rejected GET /stages: The access token is missing, invalid or expired. "
        "(401 unauthorized); check outreach:accessToken" in text
    )
    assert stack.emulator.log.writes() == []
    assert "Traceback" not in text
    assert wrong not in text
    assert wrong not in "\n".join(stack.output)
    assert stack.state_outputs() == {}
    assert stack.emulator.service.state.listing() == []  # type: ignore[attr-defined]


def test_api_validation_error_names_the_field_and_keeps_state_consistent(
    created: StackHarness,
) -> None:
    stack = created
    stage_id = stack.state_outputs()["stage-1"]["stage_id"]
    # The account refuses the rename (the emulator's own 422), as a server-side rule would.
    original = stack.emulator.service.state._validate  # type: ignore[attr-defined]

    def refuse_renames(attributes: dict[str, object], creating: bool) -> None:
        if not creating and "name" in attributes:
            raise JsonApiError(
                422,
                "validationDuplicateValueError",
                "Validation Duplicate Value Error",
                "Name has already been taken.",
                "/data/attributes/name",
            )
        original(attributes, creating)

    stack.emulator.service.state._validate = refuse_renames  # type: ignore[attr-defined]
    # A name the account does not hold (one it holds is refused at preview, before the API).
    stack.declared[1].name = "Closed"
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    assert (
        f"Outreach rejected PATCH /stages/{stage_id}: name: Name has already been taken. "
        "(422 validationDuplicateValueError)" in str(failure.value)
    )
    assert "Traceback" not in str(failure.value)
    assert stack.state_outputs()["stage-1"]["name"] == "Won"
    assert sorted(s.name for s in stack.emulator.service.state.listing()) == ["Lead", "Won"]  # type: ignore[attr-defined]
