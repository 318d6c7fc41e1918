"""Check one stack for drift: `pulumi-stages drift --format markdown` into drift.md and the
job summary; step output `code`. Exit 0 in sync and on drift (2: the next step files the
issue), 1 on anything else; a refused preview (1) still leaves its report in drift.md.

Drift found is checked again after `--confirm-after` seconds and reported only if it is still
there: the nightly check has a concurrency group of its own (sharing the apply's would let a
queued check cancel an apply waiting in line), so it may read an account while an apply is
half-way through its writes, and a finished apply leaves nothing to report."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from ci_common import output, project_dir, summary


def check(stack: str) -> subprocess.CompletedProcess[str]:
    """One read-only drift check of the stack, its markdown report on stdout."""
    command = ["pulumi-stages", "drift", "--stack", stack, "--cwd", str(project_dir())]
    return subprocess.run(
        [*command, "--format", "markdown"], capture_output=True, text=True, check=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--report", type=Path, default=Path("drift.md"))
    parser.add_argument(
        "--confirm-after",
        type=float,
        default=300.0,
        help="seconds to wait before checking found drift again (0: report it at once)",
    )
    args = parser.parse_args()
    done = check(args.stack)
    if done.returncode == 2 and args.confirm_after > 0:
        print(f"drift found; checking again in {args.confirm_after:g} s (an apply may be running)")
        time.sleep(args.confirm_after)
        done = check(args.stack)
    args.report.write_text(done.stdout)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    output("code", str(done.returncode))
    summary(done.stdout)
    if done.returncode == 0:
        print("in sync")
    elif done.returncode == 2:
        print(f"::warning::drift in stack {args.stack}")
    else:
        print(f"::error::pulumi-stages drift failed (exit {done.returncode})")
        sys.exit(1)


if __name__ == "__main__":
    main()
