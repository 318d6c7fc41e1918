"""Where the provider's memory lives: set in config, else beside the backend the CLI chose (its
environment variable, the project file, then the stored login), else the local cache; and tokens
are sealed with the stack's key, opened only with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_stages import ConfigError
from pulumi_stages.core.journal import CreateJournal
from pulumi_stages.core.memory import (
    Location,
    PostgresStore,
    S3Store,
    Sealer,
    StoreUnusable,
    memory_location,
    memory_secret,
    shown,
)
from tests.postgres import free_port

PG = "postgres://stages:pw@db.internal:5432/pulumi?sslmode=require&table=state"


class Config(dict[str, str]):
    """Stack config as the provider is handed it."""


def test_a_file_backend_keeps_the_memory_in_its_own_folder(tmp_path: Path) -> None:
    environ = {"PULUMI_BACKEND_URL": f"file://{tmp_path}/state", "HOME": str(tmp_path)}
    assert memory_location(None, environ, tmp_path) == Location(
        (tmp_path / "state" / ".pulumi-stages").as_uri(), "backend"
    )
    home = {"PULUMI_BACKEND_URL": "file://~", "HOME": str(tmp_path / "me")}
    assert memory_location(None, home, tmp_path).url == (tmp_path / "me/.pulumi-stages").as_uri()


def test_a_postgres_or_s3_backend_keeps_it_in_the_same_database_or_bucket(tmp_path: Path) -> None:
    assert memory_location(None, {"PULUMI_BACKEND_URL": PG}, tmp_path) == Location(PG, "backend")
    s3 = "s3://team-state?endpoint=minio.internal:9000&s3ForcePathStyle=true"
    assert memory_location(None, {"PULUMI_BACKEND_URL": s3}, tmp_path) == Location(s3, "backend")
    assert shown(PG) == "postgres://stages@db.internal:5432/pulumi"  # no password, no query


def test_the_project_file_then_the_stored_login_name_the_backend(tmp_path: Path) -> None:
    home = tmp_path / "pulumi-home"
    home.mkdir()
    (home / "credentials.json").write_text(json.dumps({"current": PG, "accessTokens": {}}))
    environ = {"PULUMI_HOME": str(home), "HOME": str(tmp_path)}
    assert memory_location(None, environ, tmp_path).url == PG  # `pulumi login postgres://...`
    (tmp_path / "Pulumi.yaml").write_text(f"name: p\nbackend:\n  url: file://{tmp_path}/s\n")
    assert memory_location(None, environ, tmp_path).url == (tmp_path / "s/.pulumi-stages").as_uri()


def test_config_and_environment_choose_a_place_of_their_own(tmp_path: Path) -> None:
    environ = {"PULUMI_BACKEND_URL": PG, "PULUMI_STAGES_MEMORY": str(tmp_path / "env")}
    config = Config({"pulumiStages:memory": "postgres://other@127.0.0.1/db"})
    assert memory_location(config, environ, tmp_path) == Location(
        "postgres://other@127.0.0.1/db", "config"
    )
    assert memory_location(None, environ, tmp_path) == Location(
        (tmp_path / "env").as_uri(), "environment"
    )


def test_a_backend_that_keeps_nothing_of_ours_leaves_the_local_cache(tmp_path: Path) -> None:
    for url in ("https://api.pulumi.com", "gs://bucket", ""):
        environ = {
            "PULUMI_BACKEND_URL": url,
            "XDG_CACHE_HOME": str(tmp_path / "c"),
            "HOME": str(tmp_path / "home"),  # no login of this machine's user
        }
        assert memory_location(None, environ, tmp_path / "nowhere") == Location(
            (tmp_path / "c" / "pulumi-stages").as_uri(), "local cache"
        )


def test_tokens_are_sealed_with_the_stacks_key_and_bound_to_their_chain(tmp_path: Path) -> None:
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text("from-a-file\n")
    assert memory_secret(None, {"PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase_file)}) == (
        "from-a-file"
    )
    assert memory_secret(Config({"pulumiStages:memoryKey": "k"}), {"PULUMI_CONFIG_PASSPHRASE": "p"})
    assert memory_secret(None, {}) == ""
    sealed = Sealer("stack passphrase").seal(b'{"refresh_token": "rt-secret"}', "chain-1")
    assert b"rt-secret" not in sealed
    assert Sealer("stack passphrase").open(sealed, "chain-1") == b'{"refresh_token": "rt-secret"}'
    assert Sealer("another key").open(sealed, "chain-1") is None
    assert Sealer("stack passphrase").open(sealed, "chain-2") is None  # moved to another chain
    assert "stack passphrase" not in repr(Sealer("stack passphrase"))


@pytest.mark.parametrize("name", ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_STAGES_MEMORY_KEY"])
def test_either_secret_seals(name: str) -> None:
    assert memory_secret(None, {name: "s"}) == "s"


def test_the_memory_is_never_reached_in_clear_off_loopback() -> None:
    plain = PostgresStore("postgres://stages:pw-secret@db.example.com/pulumi?sslmode=disable")
    with pytest.raises(StoreUnusable) as refused:
        plain.load("tokens/chain")
    assert "only reached over TLS off loopback" in refused.value.reason
    assert "pw-secret" not in str(refused.value) + plain.where
    with pytest.raises(StoreUnusable, match="is not https"):
        S3Store("s3://bucket?endpoint=minio.example.com:9000&disableSSL=true")


def test_an_unreachable_memory_stops_a_create_naming_where_without_its_password() -> None:
    port = free_port()  # nothing listens there
    store = PostgresStore(f"postgres://stages:pw-secret@127.0.0.1:{port}/pulumi?sslmode=disable")
    journal = CreateJournal("Outreach", "https://api.example.test", "org/p/dev", store)
    with pytest.raises(ConfigError) as refused:
        journal.begin("stage", {"name": "Lead"})
    message = str(refused.value)
    assert message.startswith(
        f"The create journal in the provider's memory at postgres://stages@127.0.0.1:{port}/pulumi"
    )
    assert "so nothing was changed" in message
    assert "pw-secret" not in message
