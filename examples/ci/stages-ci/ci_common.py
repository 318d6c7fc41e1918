"""What the CI scripts share: the settings a repository sets once (its project folder and its
stacks), GitHub's step outputs and summary, and running `pulumi` in the project folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
"""A stack name as Pulumi accepts it for a self-managed backend (no organization part)."""

DEFAULT_STACKS = "dev staging prod"


def project_dir() -> Path:
    """The Pulumi project's folder: repository variable STAGES_DIR, relative to the checkout
    (default: the checkout itself)."""
    return Path(os.environ.get("STAGES_DIR") or ".")


def stacks(text: str | None = None) -> list[str]:
    """The stacks in apply order, from STAGES_STACKS ("dev staging prod", commas allowed)."""
    raw = os.environ.get("STAGES_STACKS", "") if text is None else text
    names = [n for n in re.split(r"[\s,]+", raw.strip() or DEFAULT_STACKS) if n]
    bad = [n for n in names if not STACK_NAME.match(n)]
    if bad:
        fail(f"STAGES_STACKS: not a stack name: {', '.join(bad)} (got {raw!r})")
    if len(set(names)) != len(names):
        fail(f"STAGES_STACKS names a stack twice: {raw!r}")
    return names


def output(name: str, value: str) -> None:
    """Set a step output (GITHUB_OUTPUT), one line."""
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")


def summary(markdown: str) -> None:
    """Add to the job's summary page when GitHub gives one (GITHUB_STEP_SUMMARY)."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")


def fail(message: str, code: int = 1) -> None:
    """Stop with an error annotation GitHub shows on the run."""
    print(f"::error::{message}", flush=True)
    sys.exit(code)


def pulumi(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `pulumi ARGS` non-interactively in the project folder; output echoed to the log."""
    command = ["pulumi", *args, "--non-interactive", "--cwd", str(project_dir())]
    print("$ " + " ".join(command), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    sys.stdout.flush()
    return done
