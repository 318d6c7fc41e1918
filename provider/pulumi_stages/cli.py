"""The `pulumi-stages` command: an API emulator, the stage-set schema, and export of an account."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import yaml

from . import drift as drifts
from . import emulator as emulators
from .core import registry
from .core.config import resolve_endpoint
from .core.errors import StagesError
from .core.http import ApiClient
from .emulator import EmulatorServer
from .stageset import load_text, shipped_schema_text


def _run_emulator(args: argparse.Namespace) -> int:
    service = emulators.services()[args.api].from_arguments(args.token, args)
    state_file: Path | None = args.state_file
    if state_file is not None and state_file.exists():
        service.import_state(json.loads(state_file.read_text()))
    server = EmulatorServer(service, port=args.port)
    if args.rate_limit is not None:
        server.budget.configure(args.rate_limit, args.rate_window)
    server.start()
    print(server.base_url, flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(service.export_state(), indent=2))
    return 0


def _print_schema(_args: argparse.Namespace) -> int:
    sys.stdout.write(shipped_schema_text())
    return 0


def _progress(count: int) -> None:
    if count % 100 == 0:
        print(f"  read {count} stages...", file=sys.stderr, flush=True)


def _export(args: argparse.Namespace) -> int:
    adapter = registry.adapter(args.api)
    settings = adapter.settings
    if args.output != "-" and Path(args.output).exists() and not args.force:
        raise StagesError(f"{args.output} exists; pass --force to overwrite it")
    environ = dict(os.environ)
    if args.base_url:
        environ[settings.base_url_env] = args.base_url
    if args.token:
        environ[settings.token_env] = args.token
    endpoint = resolve_endpoint(settings, None, environ)
    print(f"Reading {settings.api} stages from {endpoint.base_url} ...", file=sys.stderr)
    client = ApiClient(endpoint, adapter.dialect)
    try:
        section = adapter.export(client, _progress)
    finally:
        client.close()
    header = (
        f"# Stage set exported from {settings.api} by `pulumi-stages export {args.api}`.\n"
        "# `adopt: true` takes these stages over by name on the next `pulumi up`.\n"
        "# Schema: `pulumi-stages schema > stages.schema.json`, then point your editor at it:\n"
        "# yaml-language-server: $schema=stages.schema.json\n"
    )
    text = header + yaml.safe_dump({args.api: section}, sort_keys=False, allow_unicode=True)
    shown = "stages.yaml" if args.output == "-" else Path(args.output).name
    try:
        spec = load_text(text, shown)  # what we write must load back
    except StagesError as error:
        raise StagesError(
            f"the account's stages would not make a valid stage set, so nothing was written:\n"
            f"{error}\nrename the stages named twice in {settings.api}, then export again"
        ) from None
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    count = spec.sections()[args.api].stage_count()
    print(f"Wrote {count} {settings.api} stages to {args.output}", file=sys.stderr)
    return 0


def _drift(args: argparse.Namespace) -> int:
    report = drifts.check(
        Path(args.cwd).resolve(), args.stack, count_unmanaged=args.count_unmanaged
    )
    render = drifts.render_markdown if args.format == "markdown" else drifts.render_text
    sys.stdout.write(render(report))
    if report.refused:
        print(f"error: the preview of stack {args.stack} was refused", file=sys.stderr)
    return report.exit_code


USAGE_ERROR = 1
"""The exit status of a usage error (argparse's own is 2, which `drift` keeps for drift)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors exit 1: `pulumi-stages drift` exits 2 only when it
    found drift, so a CI job can tell drift from a mistyped command. Subcommand parsers are made
    of the same class (argparse's `add_subparsers` uses the class of the parser it belongs to)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    """The command line: `pulumi-stages emulator|schema|export|drift ...`, one word per adapter."""
    root = _Parser(prog="pulumi-stages", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    emulator = commands.add_parser(
        "emulator", help="serve an API emulator on 127.0.0.1 until stopped; prints its base URL"
    )
    apis = emulator.add_subparsers(dest="api", required=True, metavar="API")
    for name, service in sorted(emulators.services().items()):
        api = apis.add_parser(name, help=f"the {name} emulator")
        api.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
        api.add_argument("--token", required=True, help="the bearer token the emulator accepts")
        api.add_argument(
            "--state-file",
            type=Path,
            help="load the account from this JSON file at start and save it there when stopped",
        )
        api.add_argument(
            "--rate-limit", type=int, help="requests allowed per window (default: the API's own)"
        )
        api.add_argument("--rate-window", type=float, default=3600.0, help="rate window in seconds")
        service.add_arguments(api)
        api.set_defaults(run=_run_emulator)

    schema = commands.add_parser("schema", help="print the JSON Schema of stages.yaml")
    schema.set_defaults(run=_print_schema)

    export = commands.add_parser(
        "export",
        help="write a stages.yaml (with adopt: true) from the stages an account holds now",
    )
    export.add_argument("api", choices=sorted(registry.adapters()))
    export.add_argument("--base-url", help="API base URL (default: $<API>_BASE_URL)")
    export.add_argument(
        "--token",
        help="access token (default: $<API>_ACCESS_TOKEN; prefer the variable, a flag shows in "
        "the process list)",
    )
    export.add_argument("-o", "--output", default="stages.yaml", help="file to write, - for stdout")
    export.add_argument("--force", action="store_true", help="overwrite the output file")
    export.set_defaults(run=_export)

    drift = commands.add_parser(
        "drift",
        help="compare a stack's declaration, state and live accounts; writes nothing; "
        "exit 0 in sync, 2 on drift, 1 on an error (a usage error too)",
    )
    drift.add_argument("--stack", "-s", required=True, help="the stack to check")
    drift.add_argument("--cwd", "-C", default=".", help="the Pulumi project folder (default: .)")
    drift.add_argument("--format", choices=("text", "markdown"), default="text")
    drift.add_argument(
        "--count-unmanaged",
        action="store_true",
        help="count containers (boards, pipelines) the stack does not declare as drift; by "
        "default they are listed as information and leave the exit status alone",
    )
    drift.set_defaults(run=_drift)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except StagesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
