"""Find the reviewed plan of one stack: the newest run of the preview workflow on the pull
request's head commit that kept an artifact `plan-STACK` (the stack's own preview succeeded,
whatever the other stacks' did). Step output `run-id`; an error when there is none."""

from __future__ import annotations

import argparse
import json
import os
import subprocess

from ci_common import fail, output


def gh_json(path: str) -> object:
    done = subprocess.run(["gh", "api", path], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--sha", required=True, help="the pull request's head commit")
    parser.add_argument("--workflow", default="stages-preview.yml")
    args = parser.parse_args()
    repo = os.environ["GITHUB_REPOSITORY"]
    runs = gh_json(
        f"repos/{repo}/actions/workflows/{args.workflow}/runs?head_sha={args.sha}&per_page=100"
    )
    listed = runs.get("workflow_runs", []) if isinstance(runs, dict) else []
    for run in sorted(listed, key=lambda r: str(r.get("created_at", "")), reverse=True):
        found = gh_json(f"repos/{repo}/actions/runs/{run['id']}/artifacts?name=plan-{args.stack}")
        artifacts = found.get("artifacts", []) if isinstance(found, dict) else []
        if any(not a.get("expired") for a in artifacts):
            output("run-id", str(run["id"]))
            print(f"stack {args.stack}: reviewed plan from preview run {run['id']}")
            return
    fail(f"stack {args.stack}: no preview of {args.sha} kept a plan; nothing applied")


if __name__ == "__main__":
    main()
