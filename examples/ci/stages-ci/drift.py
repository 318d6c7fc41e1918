"""Check one stack for drift: `pulumi-stages drift --format markdown` into drift.md and the
job summary; step output `code`. Exit 0 in sync and on drift (2: the next step files the
issue), 1 on anything else; a refused preview (1) still leaves its report in drift.md."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from ci_common import output, project_dir, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--report", type=Path, default=Path("drift.md"))
    args = parser.parse_args()
    command = ["pulumi-stages", "drift", "--stack", args.stack, "--cwd", str(project_dir())]
    done = subprocess.run(
        [*command, "--format", "markdown"], capture_output=True, text=True, check=False
    )
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
