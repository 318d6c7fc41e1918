"""The CI recipes' scripts (examples/ci/stages-ci), run as their workflow steps run them: the
stack list set once, one pull-request comment per stack updated on each push, each stack's own
reviewed plan found, the drift step's exits, and, through the engine, two pull requests merged
back to back, each applying exactly what its preview showed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pulumi_stages.emulator import EmulatorServer
from tests.engine import ROOT, PulumiCli
from tests.test_wheel_newest_sdk_e2e import sources

SCRIPTS = ROOT / "examples" / "ci" / "stages-ci"

STAND_IN_GH = '''#!/usr/bin/env python3
"""A stand-in `gh api` over a JSON file: issue comments, workflow runs and their artifacts."""
import json, os, sys
store = os.environ["GH_STORE"]
data = json.load(open(store))
args = sys.argv[1:]
assert args[0] == "api", args
args = args[1:]
method, fields, jq = "GET", {}, None
rest = []
i = 0
while i < len(args):
    if args[i] == "-X": method = args[i + 1]; i += 2
    elif args[i] == "-f": k, v = args[i + 1].split("=", 1); fields[k] = v; i += 2
    elif args[i] == "--jq": jq = args[i + 1]; i += 2
    elif args[i] == "--paginate": i += 1
    else: rest.append(args[i]); i += 1
path = rest[0]
data.setdefault("calls", []).append([method, path])
parts = path.split("?")[0].split("/")
if parts[3:5] == ["issues", "comments"] and method == "PATCH":
    [c] = [c for c in data["comments"] if str(c["id"]) == parts[5]]
    c["body"] = fields["body"]
elif parts[3] == "issues" and parts[5] == "comments" and method == "POST":
    data["comments"].append({"id": 100 + len(data["comments"]), "body": fields["body"]})
elif parts[3] == "issues" and parts[5] == "comments":
    marker = jq.split("contains(", 1)[1].rsplit(")) |", 1)[0]
    wanted = json.loads(marker)
    print("\\n".join(str(c["id"]) for c in data["comments"] if wanted in c["body"]))
elif parts[3:5] == ["actions", "workflows"]:
    sha = path.split("head_sha=")[1].split("&")[0]
    print(json.dumps({"workflow_runs": [r for r in data["runs"] if r["head_sha"] == sha]}))
elif parts[3:5] == ["actions", "runs"]:
    name = path.split("name=")[1]
    [run] = [r for r in data["runs"] if str(r["id"]) == parts[5]]
    print(json.dumps({"artifacts": [{"name": a} for a in run["artifacts"] if a == name]}))
else:
    sys.exit(f"unexpected call {method} {path}")
json.dump(data, open(store, "w"))
'''


def script(
    name: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one CI script as its step does: `python "$STAGES_CI/<name>" ARGS` in the checkout,
    with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files."""
    environ = {
        **os.environ,
        "GITHUB_OUTPUT": str(cwd / "output"),
        "GITHUB_STEP_SUMMARY": str(cwd / "summary.md"),
        "GITHUB_REPOSITORY": "team/crm",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def outputs(cwd: Path) -> dict[str, str]:
    lines = (cwd / "output").read_text().splitlines() if (cwd / "output").exists() else []
    return dict(line.split("=", 1) for line in lines)


def test_the_stack_list_is_set_once_and_checked(tmp_path: Path) -> None:
    done = script("stacks.py", cwd=tmp_path, env={"STAGES_STACKS": "dev, qa prod"})
    assert done.returncode == 0, done.stderr
    assert json.loads(outputs(tmp_path)["stacks"]) == ["dev", "qa", "prod"]
    (tmp_path / "output").unlink()
    assert script("stacks.py", cwd=tmp_path, env={"STAGES_STACKS": ""}).returncode == 0
    assert json.loads(outputs(tmp_path)["stacks"]) == ["dev", "staging", "prod"]
    bad = script("stacks.py", cwd=tmp_path, env={"STAGES_STACKS": "dev $(rm -rf /)"})
    assert bad.returncode == 1
    assert "::error::STAGES_STACKS: not a stack name: $(rm, -rf, /)" in bad.stdout


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_only_a_change_in_the_project_folder_runs_the_stacks(tmp_path: Path) -> None:
    """The project sits in a folder of the repository (STAGES_DIR); a pull request that
    changes only other files previews and applies no stack."""
    (tmp_path / "infra" / "crm").mkdir(parents=True)
    (tmp_path / "infra" / "crm" / "stages.yaml").write_text("outreach: {stages: []}\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    base = git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "README.md").write_text("docs\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "docs")
    docs = git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "infra" / "crm" / "stages.yaml").write_text("outreach: {stages: [{name: A}]}\n")
    git(tmp_path, "commit", "-qam", "stages")
    stages = git(tmp_path, "rev-parse", "HEAD")
    env = {"STAGES_DIR": "infra/crm", "STAGES_STACKS": "dev prod"}

    script("stacks.py", "--changed", base, docs, cwd=tmp_path, env=env)
    untouched = outputs(tmp_path)["stacks"]
    (tmp_path / "output").unlink()
    script("stacks.py", "--changed", docs, stages, cwd=tmp_path, env=env)

    assert (untouched, outputs(tmp_path)["stacks"]) == ("[]", '["dev", "prod"]')


@pytest.fixture
def gh(tmp_path: Path) -> dict[str, str]:
    """A stand-in `gh` first on PATH, its GitHub in a JSON file; the env to run scripts with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(STAND_IN_GH.replace("/usr/bin/env python3", sys.executable))
    (bin_dir / "gh").chmod(0o755)
    store = tmp_path / "github.json"
    store.write_text(json.dumps({"comments": [{"id": 1, "body": "LGTM"}], "runs": []}))
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GH_STORE": str(store)}


def github(gh: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(gh["GH_STORE"]).read_text())
    return data


def test_each_push_updates_one_comment_per_stack(tmp_path: Path, gh: dict[str, str]) -> None:
    body = tmp_path / "comment.md"
    env = {**gh, "STAGES_DIR": "infra/crm"}
    for push in ("first", "second"):
        for stack in ("dev", "prod"):
            body.write_text(f"preview of {stack}, {push} push")
            done = script(
                "comment.py", stack, "--pr", "7", "--body-file", str(body), cwd=tmp_path, env=env
            )
            assert done.returncode == 0, done.stdout + done.stderr

    comments = github(gh)["comments"]
    assert [c["body"] for c in comments] == [
        "LGTM",
        "<!-- pulumi-stages preview: infra/crm dev -->\npreview of dev, second push",
        "<!-- pulumi-stages preview: infra/crm prod -->\npreview of prod, second push",
    ]
    methods = [method for method, _ in github(gh)["calls"]]
    assert methods.count("POST") == 2 and methods.count("PATCH") == 2


def test_a_stage_name_holding_backticks_cannot_break_out_of_the_preview_block(
    tmp_path: Path, gh: dict[str, str]
) -> None:
    """Stage names are the account's own text: the preview is fenced by more backticks than
    any run in it, so a name like "x```<img src=...>" stays code in the comment."""
    (tmp_path / "head.md").write_text("#### preview of dev\n")
    (tmp_path / "preview.txt").write_text(" + outreach:Stage x```` <img src=x> create\n")
    done = script(
        *("comment.py", "dev", "--pr", "7", "--body-file", str(tmp_path / "head.md")),
        *("--code", str(tmp_path / "preview.txt"), "--footer", "On merge..."),
        cwd=tmp_path,
        env=gh,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    body = github(gh)["comments"][-1]["body"]
    assert body.splitlines()[1:] == [
        "#### preview of dev",
        "`````text",
        " + outreach:Stage x```` <img src=x> create",
        "`````",
        "On merge...",
    ]


def test_each_stack_applies_its_own_reviewed_plan_whatever_the_others_did(
    tmp_path: Path, gh: dict[str, str]
) -> None:
    """The newest preview run of the head commit kept dev's plan but not prod's (prod's
    preview failed there): dev takes that run, prod the older run where its preview passed,
    and a stack no preview planned stops with a clear error."""
    data = github(gh)
    data["runs"] = [
        {
            "id": 11,
            "head_sha": "abc",
            "created_at": "2026-12-01T10:00:00Z",
            "artifacts": ["plan-dev", "plan-prod"],
        },
        {
            "id": 12,
            "head_sha": "abc",
            "created_at": "2026-12-01T11:00:00Z",
            "artifacts": ["plan-dev"],
        },
        {
            "id": 13,
            "head_sha": "other",
            "created_at": "2026-12-01T12:00:00Z",
            "artifacts": ["plan-qa"],
        },
    ]
    Path(gh["GH_STORE"]).write_text(json.dumps(data))
    found = {}
    for stack in ("dev", "prod"):
        done = script("find_plan.py", stack, "--sha", "abc", cwd=tmp_path, env=gh)
        assert done.returncode == 0, done.stdout + done.stderr
        found[stack] = outputs(tmp_path)["run-id"]
    missing = script("find_plan.py", "qa", "--sha", "abc", cwd=tmp_path, env=gh)
    assert found == {"dev": "12", "prod": "11"}
    assert missing.returncode == 1
    assert "::error::stack qa: no preview of abc kept a plan; nothing applied" in missing.stdout


def test_an_apply_of_a_commit_no_longer_the_tip_applies_nothing(tmp_path: Path) -> None:
    """An old merge's apply approved after a newer merge landed would preview the older tree
    and undo the newer merge: with --tip it stops before any preview; on the tip it goes on."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    work.mkdir()
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(work, "init", "-q", "-b", "main")
    git(work, "remote", "add", "origin", str(origin))
    for n in (1, 2):
        (work / "stages.yaml").write_text(f"outreach: {{stages: [{{name: S{n}}}]}}\n")
        git(work, "add", ".")
        git(work, "commit", "-qm", f"merge {n}")
        git(work, "push", "-q", "origin", "main")
    stand_in = tmp_path / "bin" / "pulumi"
    stand_in.parent.mkdir()
    stand_in.write_text(f"#!/bin/sh\necho called >> {tmp_path / 'pulumi-calls'}\nexit 9\n")
    stand_in.chmod(0o755)
    env = {"PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}"}
    args = ("dev", "--reviewed", "reviewed", "--tip", "main")

    git(work, "checkout", "-q", "HEAD~1")
    stale = script("apply.py", *args, cwd=work, env=env)
    git(work, "checkout", "-q", "main")
    tip = script("apply.py", *args, cwd=work, env=env)

    assert stale.returncode == 4, stale.stdout + stale.stderr
    assert "is no longer the tip of main" in stale.stdout and "nothing applied" in stale.stdout
    assert not (tmp_path / "pulumi-calls").exists()
    assert tip.returncode == 1 and "no reviewed plan" in tip.stdout  # past the tip check


def test_a_project_change_on_main_after_the_fork_is_not_the_pull_requests(
    tmp_path: Path,
) -> None:
    """main changed the project after the branch left it, and the event's base is main's tip:
    a docs-only pull request still runs no stack (the diff is from the merge base)."""
    (tmp_path / "crm").mkdir()
    (tmp_path / "crm" / "stages.yaml").write_text("outreach: {stages: []}\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "fork point")
    git(tmp_path, "checkout", "-qb", "docs")
    (tmp_path / "README.md").write_text("docs\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "docs")
    head = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "checkout", "-q", "main")
    (tmp_path / "crm" / "stages.yaml").write_text("outreach: {stages: [{name: A}]}\n")
    git(tmp_path, "commit", "-qam", "another pull request, merged")
    base = git(tmp_path, "rev-parse", "HEAD")

    done = script("stacks.py", "--changed", base, head, cwd=tmp_path, env={"STAGES_DIR": "crm"})

    assert done.returncode == 0, done.stderr
    assert outputs(tmp_path)["stacks"] == "[]"


@pytest.mark.parametrize(("code", "passes"), [(0, True), (2, True), (1, False), (3, False)])
def test_the_drift_step_passes_only_in_sync_or_on_drift(
    tmp_path: Path, code: int, passes: bool
) -> None:
    """The drift step's script with a stand-in `pulumi-stages` exiting `code`: 0 and 2 go on (2
    to the issue step), anything else fails; the report lands in drift.md and the summary."""
    stand_in = tmp_path / "bin" / "pulumi-stages"
    stand_in.parent.mkdir()
    stand_in.write_text(f'#!/bin/sh\necho "report for $3 in $5"\nexit {code}\n')
    stand_in.chmod(0o755)
    env = {"PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}", "STAGES_DIR": "crm"}

    done = script(
        "drift.py", "dev", "--report", "drift.md", "--confirm-after", "0", cwd=tmp_path, env=env
    )

    assert (done.returncode == 0) is passes, done.stdout + done.stderr
    assert outputs(tmp_path) == {"code": str(code)}
    assert (tmp_path / "drift.md").read_text() == "report for dev in crm\n"
    assert "report for dev in crm" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(("second", "reported"), [(0, "0"), (2, "2")])
def test_drift_is_reported_only_if_it_is_still_there_when_checked_again(
    tmp_path: Path, second: int, reported: str
) -> None:
    """The drift check runs beside an apply (its own concurrency group), so drift it finds is
    checked again: drift an apply was half-way through is gone by then, real drift stays."""
    stand_in = tmp_path / "bin" / "pulumi-stages"
    stand_in.parent.mkdir()
    calls = tmp_path / "calls"
    stand_in.write_text(
        f'#!/bin/sh\necho x >> {calls}\nif [ "$(wc -l < {calls})" -eq 1 ]; then\n'
        f'  echo "drift: New"; exit 2\nfi\necho "second look"; exit {second}\n'
    )
    stand_in.chmod(0o755)
    env = {"PATH": f"{stand_in.parent}{os.pathsep}{os.environ['PATH']}"}

    done = script("drift.py", "dev", "--confirm-after", "0.1", cwd=tmp_path, env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert len(calls.read_text().splitlines()) == 2
    assert outputs(tmp_path) == {"code": reported}
    assert (tmp_path / "drift.md").read_text() == "second look\n"


def edit(project: Path, old: str, new: str) -> None:
    program = project / "__main__.py"
    assert old in program.read_text()
    program.write_text(program.read_text().replace(old, new))


def checkout(base: Path, to: Path, *edits: tuple[str, str]) -> Path:
    """A copy of the project (program and stack config) with edits to its program: a commit."""
    shutil.copytree(base, to)
    for old, new in edits:
        edit(to, old, new)
    return to


LAST = '    {"name": "Customer", "color": "#2ecc71"},\n'
ADD_X1 = (LAST, LAST + '    {"name": "Expansion", "color": "#8e44ad"},\n')  # pull request 1
RECOLOUR = ('"#00a3e0"', '"#1abc9c"')  # pull request 2: Contacted's colour
ADD_X2 = (LAST, LAST + '    {"name": "Renewal", "color": "#d35400"},\n')  # pull request 3


@pytest.mark.e2e
def test_pull_requests_merged_back_to_back_apply_what_was_reviewed_or_ask_again(
    tmp_path: Path, pulumi_home: Path, outreach: EmulatorServer, token: str
) -> None:
    """Three pull requests previewed on their heads off one main, merged one after another.
    Each apply previews its merge commit: the first two (a new stage, a colour) change what
    their previews showed and apply. The third adds a stage too, so its set's order now holds
    the first one's stage: its changes differ, nothing is applied, the message names the
    difference, and the fresh plan, approved again, applies. The old recipe (the head's plan on
    the merge commit) stops there with 'violates plan'."""
    pulumi = PulumiCli(tmp_path, pulumi_home, ROOT / "examples" / "outreach")
    pulumi.init_stack("dev", outreach, token)
    pulumi("up", "--yes", "--skip-preview")
    main = pulumi.project
    heads = [
        checkout(main, tmp_path / f"head{n}", e)
        for n, e in ((1, ADD_X1), (2, RECOLOUR), (3, ADD_X2))
    ]
    merges = [
        checkout(main, tmp_path / "merge1", ADD_X1),
        checkout(main, tmp_path / "merge2", ADD_X1, RECOLOUR),
        checkout(main, tmp_path / "merge3", ADD_X1, RECOLOUR, ADD_X2),
    ]
    runner = tmp_path / "runner"
    runner.mkdir()

    def run(name: str, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
        (runner / "output").unlink(missing_ok=True)
        done = script(name, *args, cwd=runner, env={**pulumi.env, "STAGES_DIR": str(project)})
        shown = [
            line
            for line in done.stdout.splitlines()
            if line.strip() and not line.startswith(("    ", "@ ", " ~ ", " + "))
        ]
        print(f"--- {name} {' '.join(args)} on {project.name}: exit {done.returncode}")
        print("\n".join(line for line in shown if "warning: using" not in line)[-1200:])
        return done

    for number, head in enumerate(heads, 1):  # all previewed before any merges
        assert run("preview.py", head, "dev", "--out", f"pr{number}").returncode == 0
    outreach.log.reset()

    first = run("apply.py", merges[0], "dev", "--reviewed", "pr1", "--differ", "ask")
    second = run("apply.py", merges[1], "dev", "--reviewed", "pr2", "--differ", "ask")
    writes = len(outreach.log.writes())
    old_way = subprocess.run(  # the old recipe: the head's plan, applied on the merge commit
        [
            *["pulumi", "up", "--yes", "--refresh", "--non-interactive", "--cwd", str(merges[2])],
            *["--stack", "dev", "--plan", str(runner / "pr3" / "plan-dev.json")],
        ],
        env=pulumi.env,
        capture_output=True,
        text=True,
        check=False,
    )
    third = run(
        "apply.py", merges[2], "dev", "--reviewed", "pr3", "--out", "fresh3", "--differ", "ask"
    )
    differs = outputs(runner)
    untouched = len(outreach.log.writes()) == writes
    again = run("apply.py", merges[2], "dev", "--reviewed", "fresh3", "--out", "again")
    print(
        "--- the old recipe:", *[x for x in old_way.stdout.splitlines() if "violates plan" in x][:1]
    )

    assert (first.returncode, second.returncode, third.returncode, again.returncode) == (0,) * 4
    assert "applied the reviewed changes (2 resources)" in first.stdout  # the stage, the order
    assert "applied the reviewed changes (1 resource)" in second.stdout
    assert old_way.returncode != 0 and "violates plan" in old_way.stdout
    assert differs == {"differs": "true"} and untouched  # nothing applied on a difference
    assert "this commit's changes differ from the reviewed plan, so nothing was applied" in (
        third.stdout
    )
    assert re.search(
        r'reviewed: sales/outreach: update .*sequence=\[.*"Customer", "Renewal"\]', third.stdout
    )
    assert re.search(r'now: +sales/outreach: update .*"Renewal", "Expansion"\]', third.stdout)
    assert "applied the reviewed changes (2 resources)" in again.stdout
    assert '"Renewal": (known after apply)' in third.stdout
    live = [name for name, _ in outreach.service.live_stages()]  # type: ignore[attr-defined]
    assert sorted(live) == sorted(
        [
            "New",
            "Contacted",
            "Meeting Booked",
            "Open Opportunity",
            "Customer",
            "Expansion",
            "Renewal",
        ]
    )
    ids = {s.name: int(s.id) for s in outreach.service.state.listing()}  # type: ignore[attr-defined]
    recoloured = {"type": "stage", "id": ids["Contacted"], "attributes": {"color": "#1abc9c"}}
    assert {"data": recoloured} in [w.body for w in outreach.log.writes()]
    done = subprocess.run(
        [
            *["pulumi", "preview", "--expect-no-changes", "--non-interactive", "--stack", "dev"],
            *["--cwd", str(merges[2])],
        ],
        env=pulumi.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    transcript = "".join(pulumi.transcript) + "".join(
        d.stdout + d.stderr for d in (first, second, third, again, old_way)
    )
    assert token not in transcript


@pytest.mark.e2e
def test_the_install_step_installs_the_wheel_committed_beside_the_requirements(
    tmp_path: Path,
) -> None:
    """The recipes' requirements.txt, in a project folder of a repository with the wheel built
    from this repository in wheels/: the workflows' install step, run as it is in that folder,
    resolves pulumi-stages to the wheel (a dry run with no index: nothing else is needed)."""
    project = tmp_path / "repo" / "infra" / "crm"
    (project / "wheels").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "ci" / "requirements.txt", project)
    built = subprocess.run(
        [
            *[sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"],
            *["-w", str(project / "wheels"), sources(tmp_path)],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    workflow = (ROOT / "examples" / "ci" / "workflows" / "stages-preview.yml").read_text()
    [line] = sorted(set(re.findall(r"run: (python -m pip install .*)", workflow)))

    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", line.replace("python ", f"{sys.executable} ", 1)],
        cwd=project,  # the step's working-directory, ${{ env.STAGES_DIR }}
        env={**os.environ, "PIP_DRY_RUN": "1", "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1"},
        capture_output=True,
        text=True,
        check=False,
    )

    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr
    assert "Would install pulumi-stages-0.1.0" in done.stdout
