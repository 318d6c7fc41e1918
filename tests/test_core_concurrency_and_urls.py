"""Review findings pinned: loopback and userinfo in URLs, a retired listing never handed out, a
directory entry never stored past a write, relative rate resets that agree within a window."""

from __future__ import annotations

import threading

import pytest

from pulumi_stages import ConfigError, ForeignLink
from pulumi_stages.core.account import Account
from pulumi_stages.core.backend import Remote
from pulumi_stages.core.config import base_url_of, endpoint_rules
from pulumi_stages.core.http import (
    ApiClient,
    Endpoint,
    is_loopback,
    require_base_url,
    require_secure,
    shown_url,
)
from pulumi_stages.core.listing import Listing
from pulumi_stages.core.ratelimit import RateHeaders
from pulumi_stages.outreach.api import SETTINGS as OUTREACH
from pulumi_stages.outreach.api import OutreachDialect


@pytest.mark.parametrize(
    "url",
    [
        "http://127.evil.com/api",
        "http://127.0.0.1.nip.io/x",
        "http://api.example.com/api/v2",
        "https://user:secret@api.example.com/api/v2",
        "ftp://127.0.0.1/x",
    ],
)
def test_credentials_never_go_in_clear_text_or_with_userinfo(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        require_secure(url, "The base URL")
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v2?access_token=s3cr3t",
        "https://api.example.com/v2#s3cr3t",
        "https://api.example.com/v2?",
        "http://api.example.com/v2?access_token=s3cr3t",  # refused for http first
        "https://u:p@api.example.com/v2?access_token=s3cr3t",  # and for its user info
        "https://user:pa?s3cr3t@api.example.com/v2",  # a password urlsplit does not see
        "https://user:1234/s3cr3t@api.example.com/api/v2",  # the token would go to host `user`
        "user:s3cr3t@api.example.com/v2",  # no scheme: refused as no http(s) URL
    ],
)
def test_a_base_url_has_no_query_or_fragment_and_the_refusal_does_not_echo_them(
    url: str,
) -> None:
    """Errors name the base URL tried, so what a query carries must never get that far."""
    with pytest.raises(ConfigError) as refused:
        require_base_url(url, "The base URL")
    assert "s3cr3t" not in str(refused.value)
    with pytest.raises(ConfigError) as refused:
        Endpoint("Outreach", url, "token")
    assert "s3cr3t" not in str(refused.value)
    with pytest.raises(ConfigError) as refused:
        base_url_of(OUTREACH, None, {"OUTREACH_BASE_URL": url})
        endpoint_rules(OUTREACH, None, {"OUTREACH_BASE_URL": url})
    assert "s3cr3t" not in str(refused.value)


def test_a_token_url_may_have_a_query_no_message_shows() -> None:
    """It is not joined with request paths; errors show it without its query."""
    require_secure("https://login.example.com/oauth/token?tenant=7", "The token URL")
    assert shown_url("https://login.example.com/oauth/token?key=s3cr3t") == (
        "https://login.example.com/oauth/token..."
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "::1", "localhost", "LOCALHOST"])
def test_loopback_hosts_are_the_machine_itself(host: str) -> None:
    assert is_loopback(host)
    require_secure(f"http://[{host}]:8/x" if ":" in host else f"http://{host}:8/x", "URL")


@pytest.mark.parametrize(
    "link",
    [
        "https://h:8443.evil.net/next",
        "https://h:abc/next",
        "//evil.net/next",
        "http://h:8443/next",
        "https://h/next",
    ],
)
def test_next_page_links_must_have_exactly_the_base_origin(link: str) -> None:
    client = ApiClient(Endpoint("Outreach", "https://h:8443/api/v2", "t"), OutreachDialect())
    with pytest.raises(ForeignLink):
        client.next_page(link)
    assert client.next_page("https://H:8443/api/v2/stages?page=2").startswith("https://H:8443")


def test_a_listing_retired_during_a_fetch_is_never_handed_out() -> None:
    listing = Listing()
    fetching, release = threading.Event(), threading.Event()

    def slow_old() -> list[Remote]:
        fetching.set()
        release.wait(5)
        return [Remote("1", {"order": 10})]

    first = threading.Thread(target=listing.snapshot, args=(slow_old,))
    first.start()
    fetching.wait(5)
    listing.invalidate()  # a write whose outcome is unknown, while the old fetch is under way
    later: list[list[Remote]] = []
    second = threading.Thread(
        target=lambda: later.append(listing.snapshot(lambda: [Remote("1", {"order": 30})]))
    )
    second.start()
    second.join(5)
    release.set()
    first.join(5)
    assert [r.outs["order"] for r in later[0]] == [30]
    assert [r.outs["order"] for r in listing.snapshot(slow_old)] == [30]  # nothing old stored


def test_a_directory_entry_loaded_across_a_write_is_not_kept() -> None:
    account = Account(Endpoint("Outreach", "http://127.0.0.1:1/api/v2", "t"), OutreachDialect())
    looking, release = threading.Event(), threading.Event()

    def slow_lookup() -> int:
        looking.set()
        release.wait(5)
        return 1

    thread = threading.Thread(target=account.remember, args=("board", "Sales", slow_lookup))
    thread.start()
    looking.wait(5)
    account.wrote("board", Remote("2", {"name": "Sales"}))  # the board was replaced meanwhile
    release.set()
    thread.join(5)
    assert account.remember("board", "Sales", lambda: 2) == 2


def test_relative_resets_in_one_second_name_the_same_window() -> None:
    headers = RateHeaders(prefix="RateLimit-", reset_form="seconds")
    first = headers.read({"RateLimit-Remaining": "3", "RateLimit-Reset": "10"}, 1000.2)
    second = headers.read({"RateLimit-Remaining": "5", "RateLimit-Reset": "10"}, 1000.7)
    assert first is not None and second is not None
    assert first.reset_at == second.reset_at == 1011.0
