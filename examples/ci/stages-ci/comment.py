"""Post a stack's preview on its pull request as one comment, updated on every push: the
comment carries a hidden marker naming the project folder and stack, found again by `gh api`."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from pathlib import Path

from ci_common import project_dir

CODE_LIMIT = 60_000
"""The last characters of a preview kept in a comment (GitHub's limit is 65,536 in all)."""


def marker(stack: str) -> str:
    """The hidden line that identifies this project's and stack's comment."""
    return f"<!-- pulumi-stages preview: {project_dir().as_posix()} {stack} -->"


def gh(*args: str) -> str:
    """Run `gh ARGS` (GH_TOKEN set by the workflow) and return what it printed."""
    done = subprocess.run(["gh", *args], capture_output=True, text=True, check=True)
    return done.stdout


def upsert(pr: str, stack: str, body: str) -> str:
    """Update the stack's comment on the pull request, or create it; 'updated' or 'created'."""
    repo = os.environ["GITHUB_REPOSITORY"]
    tag = marker(stack)
    found = gh(
        "api",
        "--paginate",
        f"repos/{repo}/issues/{pr}/comments",
        "--jq",
        f".[] | select(.body | contains({json.dumps(tag)})) | .id",
    ).split()
    text = f"{tag}\n{body}"
    if found:
        gh("api", "-X", "PATCH", f"repos/{repo}/issues/comments/{found[0]}", "-f", f"body={text}")
        return "updated"
    gh("api", "-X", "POST", f"repos/{repo}/issues/{pr}/comments", "-f", f"body={text}")
    return "created"


def fenced(text: str) -> str:
    """Text as a code block whose fence no line of it can close: stage names are the account's
    own text, and a name holding ``` would otherwise end the block and render as markdown."""
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stack")
    parser.add_argument("--pr", required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument(
        "--code", type=Path, help="a file (the preview) appended as a code block, its end kept"
    )
    parser.add_argument("--footer", default="", help="a line after the code block")
    args = parser.parse_args()
    body = args.body_file.read_text()
    if args.code is not None:
        body = "\n".join([body.rstrip(), fenced(args.code.read_text()[-CODE_LIMIT:]), args.footer])
    print(f"comment for stack {args.stack}: {upsert(args.pr, args.stack, body)}")


if __name__ == "__main__":
    main()
