"""Apply one stack on the commit checked out (the merge commit), but only what was reviewed:
preview this commit, compare its changes with the reviewed plan's, and apply the fresh plan
only when they are equal. When they differ (another change merged since, or the account
moved), nothing is applied: the message names each difference and the fresh plan is saved in
the output folder. With `--differ=ask` that is no failure: step output `differs=true` starts
the workflow's job that asks for approval again, and applies the fresh plan (this script again,
with the fresh plan as the reviewed one).

With `--tip BRANCH`, a commit that is no longer the branch's tip applies nothing: an apply
that waited for approval while a newer merge landed would otherwise preview the older tree
and ask to undo the newer merge; the newer merge's own run applies both."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from ci_common import fail, output, pulumi, summary
from plans import differences
from preview import preview

DIFFERENT = 3
"""The exit status when the merged commit's changes are not the reviewed ones."""

STALE = 4
"""The exit status when the commit is no longer the tip of the branch it was merged into."""


def tip_of(branch: str) -> str:
    """The branch's tip commit at the remote now (`git fetch origin BRANCH`)."""
    subprocess.run(["git", "fetch", "--quiet", "origin", branch], check=True)
    done = subprocess.run(
        ["git", "rev-parse", "FETCH_HEAD"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def head() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stack")
    parser.add_argument(
        "--reviewed", type=Path, required=True, help="folder holding the reviewed changes"
    )
    parser.add_argument("--out", type=Path, default=Path("fresh"))
    parser.add_argument(
        "--differ",
        choices=("fail", "ask"),
        default="fail",
        help="when the changes differ: fail (exit 3), or ask (exit 0, output differs=true)",
    )
    parser.add_argument(
        "--tip", metavar="BRANCH", help="apply only if this commit is still BRANCH's tip"
    )
    args = parser.parse_args()
    stack: str = args.stack
    if args.tip:
        tip = tip_of(args.tip)
        if tip != head():
            fail(
                f"stack {stack}: this commit ({head()[:12]}) is no longer the tip of "
                f"{args.tip} ({tip[:12]}): a newer merge landed, and its own apply applies "
                "this change with it; nothing applied here",
                STALE,
            )
    reviewed_file = args.reviewed / f"changes-{stack}.json"
    if not reviewed_file.exists():
        fail(f"stack {stack}: no reviewed plan ({reviewed_file} is missing); nothing applied")
    reviewed = json.loads(reviewed_file.read_text())
    if preview(stack, args.out) != 0:
        fail(f"stack {stack}: the preview of this commit failed; nothing applied")
    fresh = json.loads((args.out / f"changes-{stack}.json").read_text())
    output("differs", str(fresh != reviewed).lower())
    if fresh != reviewed:
        lines = differences(reviewed, fresh)
        message = (
            f"stack {stack}: this commit's changes differ from the reviewed plan, so nothing "
            "was applied. The fresh plan is saved: approve it in the next job after reading "
            "the differences below (or run the `stages apply` workflow by hand to preview again)."
        )
        print("\n".join([message, *lines]))
        summary("\n".join([f"**{message}**", "", "```", *lines, "```"]))
        if args.differ == "ask":
            print(f"::warning::{message}")
            return
        fail(message, DIFFERENT)
    if not fresh:
        print(f"stack {stack}: no changes to apply (as reviewed)")
        return
    plan = (args.out / f"plan-{stack}.json").resolve()
    done = pulumi(
        "up",
        "--stack",
        stack,
        "--yes",
        "--skip-preview",
        "--refresh",
        "--run-program",
        "--plan",
        str(plan),
    )
    if done.returncode != 0:
        fail(f"stack {stack}: `pulumi up --plan` stopped (exit {done.returncode})")
    count = f"{len(fresh)} resource" + ("" if len(fresh) == 1 else "s")
    print(f"stack {stack}: applied the reviewed changes ({count})")


if __name__ == "__main__":
    main()
