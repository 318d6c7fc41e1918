"""A throwaway PostgreSQL cluster for tests: a temp data directory, an unprivileged user, a free
loopback port and a unix socket in the temp directory; stopped and deleted afterwards."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("STAGES_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "pulumi"
ROLE = "stages"


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _owned_folder(owner: pwd.struct_passwd) -> Path:
    """A new temp folder the cluster's owner can use. As root the owner is `postgres`, which must
    reach the folder through every parent: so the folder is made under /tmp (not $TMPDIR, which
    may be a private folder of root's), handed to `postgres`, and checked from its side."""
    if os.geteuid() != 0:
        return Path(tempfile.mkdtemp(prefix="stages-pg-"))
    folder = Path(tempfile.mkdtemp(prefix="stages-pg-", dir="/tmp"))
    try:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        folder.chmod(0o755)
        closed = [
            str(parent)
            for parent in folder.parents
            if not parent.stat().st_mode & stat.S_IXOTH and parent.stat().st_uid != owner.pw_uid
        ]
        if closed:
            raise RuntimeError(
                f"user {owner.pw_name} cannot enter {', '.join(closed)} (no search permission "
                f"for others), so it cannot run PostgreSQL in {folder}: `chmod o+x` them"
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


@dataclass
class PostgresCluster:
    """One cluster owned by an unprivileged user (the current one, or `postgres` when run as
    root: PostgreSQL refuses to run as root)."""

    folder: Path
    port: int
    owner: pwd.struct_passwd

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        """The `pulumi login` URL of the cluster's database (state in table `pulumi_state`)."""
        return f"postgres://{ROLE}@127.0.0.1:{self.port}/{DATABASE}?sslmode=disable"

    def _as_owner(self, *command: str) -> list[str]:
        if os.geteuid() != 0:
            return list(command)
        return [
            "setpriv",
            f"--reuid={self.owner.pw_uid}",
            f"--regid={self.owner.pw_gid}",
            "--init-groups",
            "--",
            *command,
        ]

    def _run(self, *command: str) -> str:
        done = subprocess.run(
            self._as_owner(*command),
            capture_output=True,
            text=True,
            check=False,
            cwd=self.folder,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    @classmethod
    def start(cls) -> PostgresCluster:
        """initdb, then `pg_ctl start -w` (which returns once the server accepts connections).
        Whatever fails, nothing is left behind: a started server is stopped, the folder removed."""
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL is not installed in {PG_BIN} (set STAGES_PG_BIN)")
        owner = pwd.getpwuid(os.geteuid())
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
        cluster = cls(_owned_folder(owner), free_port(), owner)
        try:
            cluster._run(
                str(PG_BIN / "initdb"),
                "-D",
                str(cluster.data),
                "-U",
                ROLE,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            )
            for attempt in range(5):  # a free port can be taken before the server binds it
                try:
                    cluster._start_server()
                    break
                except RuntimeError:
                    log = (cluster.folder / "server.log").read_text(errors="replace")
                    if "Address already in use" not in log or attempt == 4:
                        raise
                    cluster.port = free_port()
            cluster.psql("postgres", f"CREATE DATABASE {DATABASE}")
        except BaseException:
            with contextlib.suppress(Exception):  # keep the first error; stop() still cleans up
                cluster.stop()
            raise
        return cluster

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "start",
        )

    def psql(self, database: str, sql: str) -> str:
        """Run one SQL statement over TCP and return its rows, one per line."""
        done = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                ROLE,
                "-d",
                database,
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout

    def keys(self) -> list[str]:
        """The keys Pulumi's backend stored (stacks, history, locks), sorted."""
        rows = self.psql(DATABASE, "SELECT key FROM pulumi_state ORDER BY key")
        return rows.splitlines()

    def stop(self) -> None:
        """Stop the server (when one runs: its pid file exists) and delete every file."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
