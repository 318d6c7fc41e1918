"""`make promotion`: promote one stages.yaml from dev to staging to prod, against emulators.

Each environment gets its own Outreach and Capsule emulator accounts (six in all, on loopback),
and prod starts with three stages made by hand that differ from the file. The walkthrough copies
this project to a work folder, creates the three stacks with their URLs and tokens as stack
secrets, and runs what a user runs: `up` on dev, `preview --diff` then `up` on staging and prod;
then a second round in which dev changes three stages and staging's preview lists exactly them.
It prints every command's output and the API requests each step made.
"""

from __future__ import annotations

import difflib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pulumi_stages.emulator import CapsuleService, EmulatorServer, OutreachService

HERE = Path(__file__).resolve().parent
ENVIRONMENTS = ("dev", "staging", "prod")
PROJECT_FILES = (
    "Pulumi.yaml",
    "__main__.py",
    "stages.yaml",
    *(f"Pulumi.{e}.yaml" for e in ENVIRONMENTS),
)

PROPOSAL = '    - name: Proposal\n      color: "#f5a623"\n'
NEGOTIATION = '    - name: Negotiation\n      color: "#e94e77"\n'
ROUND_TWO = (
    ('    - name: Demo\n      color: "#00a3e0"', '    - name: Demo\n      color: "#1abc9c"'),
    (PROPOSAL + NEGOTIATION, NEGOTIATION + PROPOSAL),
    ("        - name: Review\n", "        - name: Client Review\n          key: Review\n"),
)
"""Dev's next change: recolour Demo, move Negotiation before Proposal, rename a Capsule stage."""


@dataclass
class Account:
    """One environment's two CRM accounts."""

    outreach: EmulatorServer
    capsule: EmulatorServer
    token: str

    def requests(self) -> dict[str, Counter[str]]:
        """Requests since the last reset, per API, and forget them."""
        counts = {"outreach": self.outreach.log.counts(), "capsule": self.capsule.log.counts()}
        self.outreach.log.reset()
        self.capsule.log.reset()
        return counts


@dataclass
class Walkthrough:
    """The project copy, the accounts, and what each step cost."""

    project: Path
    accounts: dict[str, Account]
    env: dict[str, str]
    echo: Callable[[str], None] = print
    steps: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def pulumi(self, *args: str, stdin: str | None = None, quiet: bool = False) -> str:
        """Run `pulumi ARGS` in the project; print the command and (unless quiet) its output."""
        command = ["pulumi", *args, "--non-interactive", "--cwd", str(self.project)]
        self.echo(f"\n$ pulumi {' '.join(args)}")
        done = subprocess.run(
            command, env=self.env, input=stdin, capture_output=True, text=True, check=False
        )
        if not quiet or done.returncode:
            self.echo(done.stdout.rstrip() + (f"\n{done.stderr.rstrip()}" if done.stderr else ""))
        if done.returncode:
            raise SystemExit(f"pulumi {' '.join(args)} failed (exit {done.returncode})")
        return done.stdout

    def step(self, name: str, environment: str, *args: str) -> str:
        """Run one user-visible command on a stack and record the requests it made."""
        self.accounts[environment].requests()
        output = self.pulumi(*args, "--stack", environment)
        self.steps[name] = self.accounts[environment].requests()
        self.outputs[name] = output
        return output

    def init_stacks(self) -> None:
        """Each stack with its accounts' URLs (one `config set-all`) and tokens (secrets, read
        from stdin so they never show on a command line)."""
        for environment, account in self.accounts.items():
            self.pulumi("stack", "init", environment, quiet=True)
            servers = (("outreach", account.outreach), ("capsule", account.capsule))
            urls = [f"--plaintext={api}:baseUrl={server.base_url}" for api, server in servers]
            self.pulumi("config", "set-all", *urls, "-s", environment, quiet=True)
            for api, _ in servers:
                self.pulumi(
                    "config",
                    "set",
                    "--secret",
                    f"{api}:accessToken",
                    "-s",
                    environment,
                    stdin=account.token + "\n",
                    quiet=True,
                )

    def change_stages(self) -> None:
        """Dev's next change to stages.yaml, shown as a diff."""
        path = self.project / "stages.yaml"
        before = path.read_text()
        after = before
        for old, new in ROUND_TWO:
            assert old in after, old
            after = after.replace(old, new)
        path.write_text(after)
        diff = difflib.unified_diff(
            before.splitlines(), after.splitlines(), "a/stages.yaml", "b/stages.yaml", lineterm=""
        )
        self.echo("\n$ git diff stages.yaml\n" + "\n".join(diff))

    def run(self) -> None:
        """Both rounds of promotion, each ending with previews that must plan nothing."""
        self.init_stacks()
        self.echo("\n### Round 1: dev -> staging (empty) -> prod (three hand-made stages differ)")
        self.step("dev up", "dev", "up", "--yes", "--skip-preview")
        for environment in ("staging", "prod"):
            self.step(f"{environment} preview", environment, "preview", "--diff")
            self.step(f"{environment} up", environment, "up", "--yes", "--skip-preview")
        self.echo("\n### Round 2: dev changes three stages; staging's preview lists exactly them")
        self.change_stages()
        self.step("dev up 2", "dev", "up", "--yes", "--skip-preview")
        self.step("staging preview 2", "staging", "preview", "--diff")
        self.step("staging up 2", "staging", "up", "--yes", "--skip-preview")
        for environment in ENVIRONMENTS[:2]:
            self.step(f"{environment} settled", environment, "preview", "--expect-no-changes")
        self.report()

    def report(self) -> None:
        self.echo("\n### API requests per step")
        for name, counts in self.steps.items():
            for api, counter in counts.items():
                if counter:
                    shown = ", ".join(f"{n} {key}" for key, n in sorted(counter.items()))
                    self.echo(f"{name:<18} {api:<9} {shown}")


def seed_prod(account: Account) -> None:
    """Prod was clicked together by hand: three of its stages differ from stages.yaml."""
    outreach = account.outreach.service.state  # type: ignore[attr-defined]
    outreach.create({"name": "Qualified", "color": "#ff0000", "order": 2})
    outreach.create({"name": "Won", "color": "#000000", "order": 99})
    capsule = account.capsule.service.state  # type: ignore[attr-defined]
    board = capsule.create_board("Delivery", "Projects for won deals")
    capsule.create_stage({"name": "Kick-off", "description": "Old text", "board": board.id})


@contextmanager
def accounts() -> Iterator[dict[str, Account]]:
    """Six emulator accounts on loopback: Outreach and Capsule for each environment."""
    with ExitStack() as stack:
        made = {}
        for environment in ENVIRONMENTS:
            token = f"{environment}-{secrets.token_hex(8)}"
            made[environment] = Account(
                outreach=stack.enter_context(EmulatorServer(OutreachService(token=token))),
                capsule=stack.enter_context(
                    EmulatorServer(CapsuleService(token=token, site=f"acme-{environment}"))
                ),
                token=token,
            )
        seed_prod(made["prod"])
        yield made


def walkthrough(
    workdir: Path,
    env: dict[str, str],
    echo: Callable[[str], None] = print,
    backend_url: str | None = None,
) -> Walkthrough:
    """Run the whole promotion in `workdir` (a fresh copy of this project); state goes to
    `backend_url` (a shared backend such as `postgres://...`) or to files in `workdir`."""
    project, backend = workdir / "project", workdir / "state"
    project.mkdir(parents=True)
    backend.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(HERE / name, project / name)
    keep_virtualenv(project / "Pulumi.yaml")
    env = {**env, "PULUMI_BACKEND_URL": backend_url or backend.as_uri()}
    env.setdefault("PULUMI_CONFIG_PASSPHRASE", "promotion-walkthrough")
    with accounts() as made:
        run = Walkthrough(project, made, env, echo)
        run.run()
    return run


def keep_virtualenv(copied: Path) -> None:
    """The copy runs in the environment this project names (`virtualenv:` is relative to the
    project, so a copy elsewhere gets the absolute path)."""
    text = copied.read_text()
    found = re.search(r"^(\s*virtualenv:\s*)(\S+)\s*$", text, re.MULTILINE)
    if found and not Path(found.group(2)).is_absolute():
        venv = (HERE / found.group(2)).resolve()
        copied.write_text(text[: found.start(2)] + str(venv) + text[found.end(2) :])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="stages-promotion-") as workdir:
        walkthrough(Path(workdir), dict(os.environ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
