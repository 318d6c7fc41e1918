"""Preview one stack and save its plan: `pulumi preview --diff --refresh --run-program
--save-plan`, the text kept for the pull-request comment, the plan's changes kept beside it
(plan-STACK.json, changes-STACK.json, preview-STACK.txt in the output folder)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ci_common import pulumi, summary
from plans import load_changes


def preview(stack: str, out: Path) -> int:
    """Run the preview; write its text, plan and changes to `out`; the preview's exit status."""
    out.mkdir(parents=True, exist_ok=True)
    plan = (out / f"plan-{stack}.json").resolve()
    done = pulumi(
        "preview",
        "--stack",
        stack,
        "--diff",
        "--refresh",
        "--run-program",
        "--save-plan",
        str(plan),
    )
    (out / f"preview-{stack}.txt").write_text(done.stdout + done.stderr)
    if done.returncode == 0:
        changes = load_changes(plan)
        (out / f"changes-{stack}.json").write_text(json.dumps(changes, indent=2) + "\n")
    else:
        plan.unlink(missing_ok=True)  # no plan is kept from a failed preview
    return done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--out", type=Path, default=Path("plans"))
    args = parser.parse_args()
    code = preview(args.stack, args.out)
    text = (args.out / f"preview-{args.stack}.txt").read_text()
    summary(f"#### Preview of stack `{args.stack}`\n\n```\n{text[-60000:]}\n```")
    sys.exit(code)


if __name__ == "__main__":
    main()
