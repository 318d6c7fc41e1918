"""Step output `stacks`: the JSON list of stacks to run, from STAGES_STACKS; an empty list when
a change between two commits (`--changed BASE HEAD`) touches nothing in the project folder."""

from __future__ import annotations

import argparse
import json
import subprocess

from ci_common import output, project_dir, stacks


def touched(base: str, head: str) -> bool:
    """Whether HEAD changed any file under the project folder since it left BASE (their merge
    base, `BASE...HEAD`): the event's base commit may be older or newer than the branch's fork
    point, and a plain diff would count main's own later changes as the pull request's."""
    done = subprocess.run(
        ["git", "diff", "--name-only", f"{base}...{head}", "--", str(project_dir())],
        capture_output=True,
        text=True,
        check=True,
    )
    return bool(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changed", nargs=2, metavar=("BASE", "HEAD"))
    args = parser.parse_args()
    names = stacks()
    if args.changed and not touched(*args.changed):
        print(f"nothing under {project_dir()} changed: no stack to run")
        names = []
    output("stacks", json.dumps(names))
    print(f"stacks: {' '.join(names) or '(none)'}")


if __name__ == "__main__":
    main()
