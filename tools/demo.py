"""`make demo`: preview and apply the root project's stage set against the Outreach emulator.

Starts `pulumi-stages emulator outreach` on a free loopback port (its account persists in
.pulumi-state/, so a second run finds the stages the first one made), points a local `demo` stack
at it, runs `pulumi preview --diff` and `pulumi up`, prints the stages the emulator now holds,
and stops the emulator.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".pulumi-state"
STACK = "demo"
TOKEN_FILE = STATE / "outreach-emulator.token"


def _banner(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def _pulumi(*args: str, stdin: str | None = None) -> None:
    command = ["pulumi", *args, "--non-interactive"]
    subprocess.run(command, cwd=ROOT, check=True, input=stdin, text=True)


def _start_emulator(token: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pulumi_stages.cli",
            "emulator",
            "outreach",
            "--port",
            "0",
            "--token",
            token,
            "--state-file",
            str(STATE / "outreach-emulator.json"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    if not base_url:
        process.kill()
        raise SystemExit("the Outreach emulator did not start")
    return process, base_url


def _print_stages(base_url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    response = httpx.get(f"{base_url}/stages", params={"page[size]": 100}, headers=headers)
    response.raise_for_status()
    rows = sorted(response.json()["data"], key=lambda s: (s["attributes"]["order"] or 0, s["id"]))
    print(f"{'id':>4}  {'order':>5}  {'color':<8}  name")
    for stage in rows:
        a = stage["attributes"]
        print(f"{stage['id']:>4}  {a['order']!s:>5}  {a['color'] or '-':<8}  {a['name']}")


def main() -> int:
    """Run the demo; the exit status is pulumi's."""
    STATE.mkdir(exist_ok=True)
    os.environ.setdefault("PULUMI_BACKEND_URL", STATE.as_uri())
    os.environ.setdefault("PULUMI_CONFIG_PASSPHRASE", "demo-only-passphrase")
    if not TOKEN_FILE.exists():
        TOKEN_FILE.write_text(secrets.token_urlsafe(24))
        TOKEN_FILE.chmod(0o600)
    token = TOKEN_FILE.read_text().strip()

    _banner("Starting the Outreach emulator")
    emulator, base_url = _start_emulator(token)
    print(f"Outreach emulator at {base_url}")
    try:
        _pulumi("stack", "select", "--create", STACK)
        _pulumi("config", "set", "outreach:baseUrl", base_url)
        _pulumi("config", "set", "--secret", "outreach:accessToken", stdin=token + "\n")
        _banner("pulumi preview --diff")
        _pulumi("preview", "--diff")
        _banner("pulumi up")
        _pulumi("up", "--yes", "--skip-preview")
        _banner("Stages the Outreach emulator now holds")
        _print_stages(base_url, token)
    except subprocess.CalledProcessError as error:
        print(f"\n{' '.join(error.cmd[:2])} failed with exit status {error.returncode}")
        return error.returncode
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
