"""A refresh never loses or double-spends the rotated refresh token, and never leaks a secret.

Grants go over real HTTP: to the Outreach emulator, or to a stub token endpoint on loopback when a
test needs an answer the emulator would never give (a malformed body, an echoed token).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pulumi_stages import ConfigError, Unauthorized
from pulumi_stages.core import oauth as oauth_module
from pulumi_stages.core.config import resolve_endpoint
from pulumi_stages.core.errors import AccountUnreadable
from pulumi_stages.core.http import ApiClient
from pulumi_stages.core.oauth import TokenRefreshFailed
from pulumi_stages.core.preview_reads import reading
from pulumi_stages.core.refreshing_auth import RefreshingAuth
from pulumi_stages.emulator import EmulatorServer
from pulumi_stages.emulator.faults import Fault, FaultKind
from pulumi_stages.emulator.outreach import OutreachOAuth
from pulumi_stages.outreach.api import OutreachDialect, OutreachStages
from pulumi_stages.outreach.stage import SETTINGS
from tests.test_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    folder_tokens,
    opened,
    passphrase,
)

__all__ = ["passphrase"]  # the autouse fixture, here too

REPO = Path(__file__).resolve().parent.parent

GRANTED_ACCESS, GRANTED_REFRESH = "at-granted-by-stub-0123", "rt-rotated-by-stub-4567"
"""What the stub's valid answer carries; no error text may quote them."""


@dataclass
class TokenStub:
    """A token endpoint on loopback that answers what a test says and counts what it gets."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    before_answer: Callable[[], object] | None = None
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def answer(self, body: object, status: int = 200) -> None:
        self.status, self.body = status, json.dumps(body).encode()


@pytest.fixture
def token_stub() -> Iterator[TokenStub]:
    stub = TokenStub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            stub.requests.append(self.rfile.read(length).decode())
            if stub.before_answer is not None:
                stub.before_answer()
            self.send_response(stub.status)
            self.send_header("Content-Type", stub.content_type)
            self.send_header("Content-Length", str(len(stub.body)))
            self.end_headers()
            self.wfile.write(stub.body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/oauth/token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


def environ_for(
    outreach: EmulatorServer, refresh: str, token_url: str | None = None, access: str = ""
) -> dict[str, str]:
    """The environment a provider would be configured from."""
    environ = {
        "OUTREACH_BASE_URL": outreach.base_url,
        "OUTREACH_ACCESS_TOKEN": access,
        "OUTREACH_REFRESH_TOKEN": refresh,
        "OUTREACH_CLIENT_ID": CLIENT_ID,
        "OUTREACH_CLIENT_SECRET": CLIENT_SECRET,
        "OUTREACH_REDIRECT_URI": REDIRECT_URI,
    }
    if token_url:
        environ["OUTREACH_TOKEN_URL"] = token_url
    for name in ("PULUMI_STAGES_TOKEN_CACHE", "PULUMI_CONFIG_PASSPHRASE"):  # the provider's own
        if name in os.environ:
            environ[name] = os.environ[name]
    return environ


def stages_for(environ: dict[str, str]) -> OutreachStages:
    """A client built as the provider builds it; the cache folder is PULUMI_STAGES_TOKEN_CACHE."""
    return OutreachStages(ApiClient(resolve_endpoint(SETTINGS, None, environ), OutreachDialect()))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tokens"
    monkeypatch.setenv("PULUMI_STAGES_TOKEN_CACHE", str(folder))
    return folder


@pytest.fixture
def oauth(outreach: EmulatorServer) -> OutreachOAuth:
    oauth: OutreachOAuth = outreach.service.oauth  # type: ignore[attr-defined]
    oauth.grant_interval = 0.0
    oauth.add_access_token("at-expired", lifetime=-1)
    return oauth


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in (CLIENT_SECRET, GRANTED_ACCESS, GRANTED_REFRESH, *secrets):
        assert secret not in text


MALFORMED = [
    pytest.param(b"<html>502 Bad Gateway</html>", "it is not JSON", id="not-json"),
    pytest.param(b'["at-granted-by-stub-0123"]', "it is not a JSON object", id="json-list"),
    pytest.param(
        json.dumps({"token_type": "bearer", "refresh_token": GRANTED_REFRESH}).encode(),
        "it has no access_token",
        id="no-access-token",
    ),
    pytest.param(
        json.dumps({"access_token": 12345, "refresh_token": GRANTED_REFRESH}).encode(),
        "its access_token is not a non-empty string",
        id="access-token-not-a-string",
    ),
    pytest.param(
        json.dumps({"access_token": " ", "refresh_token": GRANTED_REFRESH}).encode(),
        "its access_token is not a non-empty string",
        id="access-token-blank",
    ),
    pytest.param(
        json.dumps({"access_token": GRANTED_ACCESS, "refresh_token": 7}).encode(),
        "its refresh_token is not a non-empty string",
        id="refresh-token-not-a-string",
    ),
    pytest.param(
        json.dumps({"access_token": GRANTED_ACCESS, "expires_in": "two hours"}).encode(),
        "its expires_in is not a positive number",
        id="expires-in-not-a-number",
    ),
    pytest.param(
        json.dumps({"access_token": GRANTED_ACCESS, "expires_in": 0}).encode(),
        "its expires_in is not a positive number",
        id="expires-in-zero",
    ),
]


@pytest.mark.parametrize(("body", "problem"), MALFORMED)
def test_a_malformed_grant_answer_is_a_clear_unauthorized(
    outreach: EmulatorServer, token_stub: TokenStub, cache: Path, body: bytes, problem: str
) -> None:
    token_stub.body = body
    api = stages_for(environ_for(outreach, "rt-configured-secret", token_stub.url))
    with pytest.raises(Unauthorized) as failure:
        api.read("1")
    assert isinstance(failure.value, TokenRefreshFailed)
    assert str(failure.value) == (
        "Could not refresh the Outreach access token: the token endpoint's answer to "
        f"POST /oauth/token was malformed ({problem}), so no token was taken from it and the "
        "refresh token it was sent may already be spent; authorize again and set the new "
        f"refresh token in stack config, and check that the token URL {token_stub.url} is the "
        "API's OAuth token endpoint"
    )
    assert_no_secret(str(failure.value), "rt-configured-secret")
    assert len(token_stub.requests) == 1
    assert outreach.log.count() == 0  # no API call was sent with a token taken from that answer
    assert list(cache.iterdir()) == []  # nothing saved, no temporary or lock file left behind


def test_a_refusal_that_echoes_a_secret_is_shown_without_it(
    outreach: EmulatorServer, token_stub: TokenStub, cache: Path
) -> None:
    token_stub.answer(
        {
            "error": "invalid_grant",
            "error_description": "rt-configured-secret for client-secret-xyz is revoked",
        },
        status=400,
    )
    api = stages_for(environ_for(outreach, "rt-configured-secret", token_stub.url))
    with pytest.raises(Unauthorized) as failure:
        api.read("1")
    assert str(failure.value) == (
        "Outreach rejected POST /oauth/token: could not refresh the access token "
        "(invalid_grant: *** for *** is revoked) (400); "
        "authorize again and set the new refresh token in stack config"
    )


def test_a_refused_refresh_in_a_preview_names_the_refresh_settings_not_the_access_token(
    outreach: EmulatorServer, cache: Path
) -> None:
    """The preview's line for an account it cannot read points at the setting to fix; for a
    grant the token endpoint refused that is the refresh token and client, not `accessToken`."""
    api = stages_for(environ_for(outreach, "rt-unknown", access="at-expired"))
    with pytest.raises(AccountUnreadable) as failure, reading(SETTINGS, "read the stage"):
        api.read("1")
    assert str(failure.value) == (
        "Outreach rejected POST /oauth/token: could not refresh the access token "
        "(invalid_grant: The refresh token is invalid, expired or revoked.) (400); "
        "authorize again and set the new refresh token in stack config; check "
        "outreach:refreshToken, outreach:clientId, outreach:clientSecret and outreach:tokenUrl. "
        "Nothing was changed: the check before any write could not read the stage (a preview "
        "stops at this check as an `up` does)."
    )


def chain_held_elsewhere(
    outreach: EmulatorServer, oauth: OutreachOAuth, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[OutreachStages, AbstractContextManager[None]]:
    """A client whose access token has expired, and another holder of its refresh chain's lock
    (flock: even in this process) to enter; the lock is waited for 1 s."""
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    monkeypatch.setattr(oauth_module, "LOCK_WAIT_SECONDS", 1.0)
    api = stages_for(environ_for(outreach, refresh, access="at-expired"))
    auth = api.client._http.auth
    assert isinstance(auth, RefreshingAuth)
    return api, folder_tokens(cache).locked(auth._key)


def test_a_refresh_that_failed_on_this_side_keeps_its_own_hint_in_a_preview(
    outreach: EmulatorServer, oauth: OutreachOAuth, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing in stack config is wrong when another process holds the chain: the line says to
    wait, and names no setting to change."""
    api, held = chain_held_elsewhere(outreach, oauth, cache, monkeypatch)
    with held, pytest.raises(AccountUnreadable) as failure, reading(SETTINGS, "read the stage"):
        api.read("1")
    assert str(failure.value) == (
        "Could not refresh the Outreach access token: another process has been refreshing the "
        f"same token for 1 s (its lock is in {cache.parent}); try again once it has finished or "
        "been stopped. Nothing was changed: the check before any write could not read the "
        "stage (a preview stops at this check as an `up` does)."
    )


def test_an_unwritable_cache_folder_fails_before_the_grant_is_sent(
    outreach: EmulatorServer, oauth: OutreachOAuth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder's parent should be")
    folder = blocker / "tokens"  # cannot be created, even by root
    monkeypatch.setenv("PULUMI_STAGES_TOKEN_CACHE", str(folder))
    api = stages_for(environ_for(outreach, refresh, access="at-expired"))
    with pytest.raises(ConfigError) as failure:
        api.read("1")
    assert str(failure.value) == (
        "Could not refresh the Outreach access token: the provider's memory at "
        f"{folder.parent} cannot be written (Not a directory), and a refresh must save the "
        "rotated refresh token there before using it; nothing was sent, the refresh token is "
        "unspent. Make it writable or set pulumiStages:memory to a place that is."
    )
    assert_no_secret(str(failure.value), refresh)
    assert outreach.log.counts() == {"GET /api/v2/stages/{id}": 1}  # the 401; no POST /oauth/token
    # The refresh token is unspent: with a usable folder the same configuration works.
    monkeypatch.setenv("PULUMI_STAGES_TOKEN_CACHE", str(tmp_path / "tokens"))
    assert stages_for(environ_for(outreach, refresh, access="at-expired")).read("1") is None
    assert outreach.log.counts()["POST /oauth/token"] == 1


def test_a_rotated_token_that_cannot_be_saved_is_a_clear_unauthorized(
    outreach: EmulatorServer, token_stub: TokenStub, cache: Path, tmp_path: Path
) -> None:
    token_stub.answer(
        {"access_token": GRANTED_ACCESS, "refresh_token": GRANTED_REFRESH, "expires_in": 7200}
    )
    cache.mkdir(mode=0o700)

    def break_the_folder() -> None:  # while the grant is on its way (a cleanup job, a bad mount)
        cache.rename(tmp_path / "moved")
        cache.write_text("a file where the cache folder was")

    token_stub.before_answer = break_the_folder
    api = stages_for(environ_for(outreach, "rt-configured-secret", token_stub.url))
    with pytest.raises(Unauthorized) as failure:
        api.read("1")
    assert str(failure.value) == (
        "The Outreach token endpoint granted a new token, but the rotated refresh token could not "
        f"be saved in the provider's memory at {cache.parent} (Not a directory); the previous "
        "refresh token is no longer valid; authorize again and set the new refresh token in "
        "stack config, and make that place writable (or set pulumiStages:memory to one that is)"
    )
    assert_no_secret(str(failure.value), "rt-configured-secret")
    assert len(token_stub.requests) == 1
    assert outreach.log.count() == 0  # the unsaved token was never used


def test_the_saved_entry_holds_the_rotated_chain_in_private_files(
    outreach: EmulatorServer, oauth: OutreachOAuth, cache: Path
) -> None:
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    assert stages_for(environ_for(outreach, refresh, access="at-expired")).read("1") is None
    [entry_file] = cache.iterdir()  # no lock or temporary file left behind
    entry = opened(entry_file)
    assert entry["refresh_token"] in oauth.grants
    assert oauth.lookup(entry["access_token"]) is not None
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)
    assert oct(entry_file.stat().st_mode & 0o777) == oct(0o600)


def test_http_token_url_to_a_remote_host_is_refused_before_any_request(
    outreach: EmulatorServer,
) -> None:
    environ = environ_for(outreach, "rt-configured-secret", "http://auth.example.com/oauth/token")
    with pytest.raises(ConfigError) as failure:
        stages_for(environ).read("1")
    assert str(failure.value) == (
        "The Outreach token URL (outreach:tokenUrl or OUTREACH_TOKEN_URL) must be an https:// URL "
        "(http:// is accepted only for 127.0.0.1 or localhost, where the emulators run), got "
        "'http://auth.example.com/oauth/token'; credentials are never sent in clear text."
    )
    assert outreach.log.count() == 0
    for accepted in ("https://auth.example.com/oauth/token", "http://localhost:9/oauth/token"):
        endpoint = resolve_endpoint(SETTINGS, None, environ_for(outreach, "rt-x", accepted))
        assert endpoint.refresh is not None
        assert endpoint.refresh.token_url == accepted


def test_a_chain_held_too_long_by_another_process_is_a_clear_error(
    outreach: EmulatorServer, oauth: OutreachOAuth, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, held = chain_held_elsewhere(outreach, oauth, cache, monkeypatch)
    with held, pytest.raises(Unauthorized) as failure:
        api.read("1")
    assert str(failure.value) == (
        "Could not refresh the Outreach access token: another process has been refreshing the "
        f"same token for 1 s (its lock is in {cache.parent}); try again once it has finished or "
        "been stopped"
    )
    assert "POST /oauth/token" not in outreach.log.counts()
    assert list(cache.iterdir()) == []
    assert api.read("1") is None  # once it is free, the refresh goes through


def test_threads_and_clients_of_one_process_share_one_grant(
    outreach: EmulatorServer, oauth: OutreachOAuth, cache: Path
) -> None:
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    outreach.faults.add(Fault(FaultKind.LATENCY, delay=0.3, path="/oauth/token"))
    apis = [stages_for(environ_for(outreach, refresh, access="at-expired")) for _ in range(2)]
    errors: list[BaseException] = []

    def read(api: OutreachStages) -> None:
        try:
            api.read("1")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(api,)) for api in apis for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert outreach.log.counts()["POST /oauth/token"] == 1


CHILD = textwrap.dedent(
    """
    import os, sys
    from pulumi_stages.core.config import resolve_endpoint
    from pulumi_stages.core.http import ApiClient
    from pulumi_stages.outreach.api import OutreachDialect, OutreachStages
    from pulumi_stages.outreach.stage import SETTINGS

    endpoint = resolve_endpoint(SETTINGS, None, os.environ)
    api = OutreachStages(ApiClient(endpoint, OutreachDialect()))
    print("ready", flush=True)
    sys.stdin.readline()  # both start their request at the same moment
    try:
        remote = api.read(sys.argv[1])
    except Exception as exc:
        print(f"failed: {exc}", flush=True)
        sys.exit(1)
    print("read", remote.outs["name"] if remote else None, flush=True)
    """
)


def test_two_processes_sharing_a_chain_make_one_grant(
    outreach: EmulatorServer, oauth: OutreachOAuth, cache: Path
) -> None:
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    stage = outreach.service.state.create({"name": "Lead"})  # type: ignore[attr-defined]
    # A slow token endpoint: without a lock shared by the processes, both would send the same
    # refresh token within this window and one would get invalid_grant.
    outreach.faults.add(Fault(FaultKind.LATENCY, delay=0.5, path="/oauth/token"))
    environ = {**os.environ, **environ_for(outreach, refresh, access="at-expired")}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(stage.id)],
            cwd=REPO,
            env=environ,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                pytest.fail(f"the child did not start: {child.communicate(timeout=30)}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    outputs = [out.strip() + err.strip() for out, err in results]
    assert [child.returncode for child in children] == [0, 0], outputs
    assert outputs == ["read Lead", "read Lead"]
    assert outreach.log.counts()["POST /oauth/token"] == 1
    [entry_file] = cache.iterdir()  # the entry only: no lock or temporary file left behind
    entry = opened(entry_file)
    assert entry["refresh_token"] != refresh
    assert entry["refresh_token"] in oauth.grants
    assert refresh not in oauth.grants


def test_without_a_key_to_seal_it_no_grant_is_sent(
    outreach: EmulatorServer, oauth: OutreachOAuth, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh = oauth.add_refresh_token(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")  # a KMS secrets provider, say
    with pytest.raises(ConfigError) as failure:
        stages_for(environ_for(outreach, refresh, access="at-expired")).read("1")
    assert str(failure.value) == (
        "Could not refresh the Outreach access token: the rotated refresh token is kept sealed "
        f"in the provider's memory ({cache.parent}) and this stack has no key to seal it with; "
        "nothing was sent, the refresh token is unspent. Set `pulumi config set --secret "
        "pulumiStages:memoryKey <key>`, or use a passphrase secrets provider "
        "(PULUMI_CONFIG_PASSPHRASE)."
    )
    assert "POST /oauth/token" not in outreach.log.counts()
    assert refresh in oauth.grants
