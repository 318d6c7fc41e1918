"""Two CI runners in one test: each its own checkout, HOME, caches and PULUMI_HOME, sharing only
the state backend (and the repository's stack config, as a checkout of one commit would)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.engine import PASSPHRASE
from tests.postgres import PostgresCluster
from tests.processes import kill_tree
from tests.s3 import s3_bucket

PRIVATE = ("PULUMI_STAGES_TOKEN_CACHE", "PULUMI_STAGES_MEMORY", "XDG_CACHE_HOME", "HOME")
"""What a runner never inherits from the test process: every place memory could hide."""


BACKENDS = ["file", "postgres", "s3"]


@contextlib.contextmanager
def shared_backend(kind: str, folder: Path, name: str) -> Iterator[str]:
    """A state backend the runners share, as a `pulumi login` URL: a folder, a throwaway
    PostgreSQL 15 cluster, or a bucket on a loopback S3-compatible server (moto)."""
    if kind == "file":
        folder.mkdir()
        yield folder.as_uri()
    elif kind == "postgres":
        cluster = PostgresCluster.start()
        try:
            yield f"{cluster.url}&table={name}"
        finally:
            cluster.stop()
    else:
        with s3_bucket(name) as url:
            yield url


class Runner:
    """Plain `pulumi` commands on one runner; `transcript` keeps what they printed."""

    def __init__(self, root: Path, name: str, source: Path, backend_url: str) -> None:
        self.root = root / name
        self.project = self.root / "checkout"
        self.project.mkdir(parents=True)
        for item in source.iterdir():
            if item.is_file():
                shutil.copy(item, self.project / item.name)
        home = self.root / "home"
        home.mkdir()
        base = {k: v for k, v in os.environ.items() if k not in PRIVATE}
        self.env = {
            **base,
            "HOME": str(home),
            "XDG_CACHE_HOME": str(self.root / "cache"),
            "PULUMI_HOME": str(self.root / "pulumi-home"),
            "PULUMI_BACKEND_URL": backend_url,
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        }
        self.transcript: list[str] = []

    def command(self, *args: str) -> list[str]:
        return ["pulumi", *args, "--non-interactive", "--cwd", str(self.project)]

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.command(*args),
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        self.transcript += [done.stdout, done.stderr]
        return done

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """A command in a process group of its own (a CI job's), not waited for."""
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def hand_config_to(self, other: Runner, stack: str) -> None:
        """The stack's config file, as committed to the repository both runners check out."""
        name = f"Pulumi.{stack}.yaml"
        shutil.copy(self.project / name, other.project / name)

    def local_memory(self) -> list[Path]:
        """Whatever pulumi-stages left on this runner's disk outside the checkout."""
        return [p for p in self.root.rglob("*pulumi-stages*") if self.project not in p.parents]


def lose_runner(job: subprocess.Popen[bytes]) -> None:
    """What a lost runner does to a job: every process of it dies at once (the CLI's plugins
    run in process groups of their own, so the whole tree is killed, not one group)."""
    kill_tree(job.pid)
    job.wait(timeout=10)
