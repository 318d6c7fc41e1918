"""The memory in the state backend's PostgreSQL database, beside Pulumi's own table.

Two tables of ours, made on first use: `pulumi_stages_memory` (key, sealed value) and
`pulumi_stages_log` (the journal's lines). A lock is a transaction-scoped advisory lock
(`pg_try_advisory_xact_lock` on the key's hash), held by one open connection: PostgreSQL lets it
go when the transaction ends or the holder's connection dies, so a killed runner never leaves
one behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from .store import LOCK_WAIT_SECONDS, LockTimeout, StoreUnusable

if TYPE_CHECKING:
    import pg8000.native

VALUES_TABLE = "pulumi_stages_memory"
LOG_TABLE = "pulumi_stages_log"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {VALUES_TABLE} (key text PRIMARY KEY, data bytea NOT NULL, "
    "saved_at timestamptz NOT NULL DEFAULT now())",
    f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (seq bigserial PRIMARY KEY, log text NOT NULL, "
    "line text NOT NULL, added_at timestamptz NOT NULL DEFAULT now())",
    f"CREATE INDEX IF NOT EXISTS {LOG_TABLE}_log ON {LOG_TABLE} (log, seq)",
)
SCHEMA_LOCK = "pulumi-stages schema"


def _lock_id(key: str) -> int:
    """A key's advisory lock number (a signed 64-bit hash)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls(mode: str, host: str) -> ssl.SSLContext | None:
    """The TLS context for libpq's `sslmode`; plain text only on loopback (credentials and
    sealed tokens never cross a network in clear)."""
    if mode == "disable":
        if not _loopback(host):
            raise StoreUnusable(
                f"sslmode=disable to {host}: the memory is only reached over TLS off loopback"
            )
        return None
    if mode in ("", "allow", "prefer") and _loopback(host):
        return None  # guess: libpq would try TLS first; a loopback server seldom has it
    context = ssl.create_default_context()
    if mode not in ("verify-full",):
        context.check_hostname = False
    if mode in ("", "allow", "prefer", "require"):
        context.verify_mode = ssl.CERT_NONE  # libpq's `require`: encrypted, not verified
    return context


class PgPending:
    """A value written with one upsert when committed; the lock held around a refresh already
    proved the store writable."""

    def __init__(self, store: PostgresStore, key: str) -> None:
        self._store, self._key = store, key

    def commit(self, data: bytes) -> None:
        self._store.run(
            f"INSERT INTO {VALUES_TABLE} (key, data) VALUES (:key, :data) "
            "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, saved_at = now()",
            key=self._key,
            data=data,
        )

    def discard(self) -> None:
        pass


class PostgresStore:
    """The memory in one PostgreSQL database, reached as the backend URL says (user, host, port,
    database, `sslmode`; the password from the URL or PGPASSWORD)."""

    def __init__(self, url: str, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self._host = parts.hostname or "localhost"
        user = unquote(parts.username or "") or environ.get("PGUSER") or "postgres"
        self._connect_args: dict[str, Any] = {
            "user": user,
            "host": self._host,
            "port": parts.port or 5432,
            "database": unquote(parts.path.lstrip("/")) or user,
            "password": unquote(parts.password or "") or environ.get("PGPASSWORD") or None,
            "timeout": 30,
        }
        self._sslmode = (query.get("sslmode") or [""])[0]
        self._where = f"postgres://{user}@{self._host}:{self._connect_args['port']}/" + str(
            self._connect_args["database"]
        )
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    @property
    def where(self) -> str:
        return f"{self._where} (tables {VALUES_TABLE}, {LOG_TABLE})"

    def _connect(self) -> pg8000.native.Connection:
        # Imported here: the driver (and its TLS and SCRAM modules) costs every provider process
        # a third of a second at start, and only a stack on a PostgreSQL backend needs it.
        import pg8000.native  # noqa: PLC0415

        try:
            context = _tls(self._sslmode, self._host)
            return pg8000.native.Connection(**self._connect_args, ssl_context=context)
        except (pg8000.native.InterfaceError, pg8000.native.DatabaseError, OSError) as exc:
            raise StoreUnusable(_reason(exc)) from None

    @contextlib.contextmanager
    def _connection(self) -> Iterator[pg8000.native.Connection]:
        import pg8000.native  # noqa: PLC0415 (see _connect)

        connection = self._connect()
        try:
            self._ensure_schema(connection)
            yield connection
        except (pg8000.native.InterfaceError, pg8000.native.DatabaseError, OSError) as exc:
            raise StoreUnusable(_reason(exc)) from None
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def _ensure_schema(self, connection: pg8000.native.Connection) -> None:
        with self._schema_lock:
            if self._schema_ready:
                return
            connection.run("BEGIN")
            connection.run("SELECT pg_advisory_xact_lock(:id)", id=_lock_id(SCHEMA_LOCK))
            for statement in SCHEMA:
                connection.run(statement)
            connection.run("COMMIT")
            self._schema_ready = True

    def run(self, sql: str, **params: Any) -> list[list[Any]]:
        """One statement in its own connection (autocommit)."""
        with self._connection() as connection:
            rows: list[list[Any]] | None = connection.run(sql, **params)
            return rows or []

    def load(self, key: str) -> bytes | None:
        rows = self.run(f"SELECT data FROM {VALUES_TABLE} WHERE key = :key", key=key)
        return bytes(rows[0][0]) if rows else None

    def pending(self, key: str) -> PgPending:
        return PgPending(self, key)

    @contextlib.contextmanager
    def locked(self, key: str, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
        deadline = time.monotonic() + wait
        with self._connection() as connection:
            connection.run("BEGIN")
            pause = 0.01
            while True:
                [[held]] = connection.run("SELECT pg_try_advisory_xact_lock(:id)", id=_lock_id(key))
                if held:
                    break
                if time.monotonic() >= deadline:
                    connection.run("ROLLBACK")
                    raise LockTimeout(key)
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
            try:
                yield
            finally:
                connection.run("COMMIT")  # ends the transaction: the lock goes with it

    def append(self, log: str, line: str) -> None:
        self.run(f"INSERT INTO {LOG_TABLE} (log, line) VALUES (:log, :line)", log=log, line=line)

    def lines(self, log: str) -> list[str]:
        rows = self.run(f"SELECT line FROM {LOG_TABLE} WHERE log = :log ORDER BY seq", log=log)
        return [str(row[0]) for row in rows]


def _reason(exc: BaseException) -> str:
    """A driver error's reason without the connection's password (the driver never quotes it;
    PostgreSQL's own message is a dict of fields, of which `M` is the text)."""
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, dict):
        return str(detail.get("M") or type(exc).__name__)
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(detail)[:200] or type(exc).__name__
