"""The `pulumi-stages` command: an API emulator, the stage-set schema, and export of an account."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from . import capsule, outreach
from .capsule import export as capsule_export
from .capsule.stage import SETTINGS as CAPSULE
from .core.config import ApiSettings, resolve_endpoint
from .core.errors import StagesError
from .core.http import ApiClient, Dialect
from .emulator import SERVICES, CapsuleService, EmulatorServer
from .outreach import export as outreach_export
from .outreach.stage import SETTINGS as OUTREACH
from .stageset import load_text, shipped_schema_text

Exporter = Callable[[ApiClient, Callable[[int], None]], dict[str, Any]]
EXPORTERS: dict[str, tuple[ApiSettings, Dialect, Exporter]] = {
    "outreach": (
        OUTREACH,
        outreach.stage.OutreachStageProvider.dialect,
        outreach_export.export_section,
    ),
    "capsule": (CAPSULE, capsule.stage.CapsuleStageProvider.dialect, capsule_export.export_section),
}


def _run_emulator(args: argparse.Namespace) -> int:
    service = (
        CapsuleService(token=args.token, site=args.site)
        if args.api == "capsule"
        else SERVICES[args.api](token=args.token)
    )
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
    settings, dialect, export_section = EXPORTERS[args.api]
    if args.output != "-" and Path(args.output).exists() and not args.force:
        raise StagesError(f"{args.output} exists; pass --force to overwrite it")
    environ = dict(os.environ)
    if args.base_url:
        environ[settings.base_url_env] = args.base_url
    if args.token:
        environ[settings.token_env] = args.token
    endpoint = resolve_endpoint(settings, None, environ)
    print(f"Reading {settings.api} stages from {endpoint.base_url} ...", file=sys.stderr)
    client = ApiClient(endpoint, dialect)
    try:
        section = export_section(client, _progress)
    finally:
        client.close()
    header = (
        f"# Stage set exported from {settings.api} by `pulumi-stages export {args.api}`.\n"
        "# `adopt: true` takes these stages over by name on the next `pulumi up`.\n"
        "# Schema: `pulumi-stages schema > stages.schema.json`, then point your editor at it:\n"
        "# yaml-language-server: $schema=stages.schema.json\n"
    )
    text = header + yaml.safe_dump({args.api: section}, sort_keys=False, allow_unicode=True)
    count = len(section.get("stages", [])) + sum(
        len(b["stages"]) for b in section.get("boards", [])
    )
    shown = "stages.yaml" if args.output == "-" else Path(args.output).name
    try:
        load_text(text, shown)  # what we write must load back
    except StagesError as error:
        raise StagesError(
            f"the account's stages would not make a valid stage set, so nothing was written:\n"
            f"{error}\nrename the stages named twice in {settings.api}, then export again"
        ) from None
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    print(f"Wrote {count} {settings.api} stages to {args.output}", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line: `pulumi-stages emulator API --port N --token T`."""
    root = argparse.ArgumentParser(prog="pulumi-stages", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    emulator = commands.add_parser(
        "emulator", help="serve an API emulator on 127.0.0.1 until stopped; prints its base URL"
    )
    emulator.add_argument("api", choices=sorted(SERVICES))
    emulator.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    emulator.add_argument("--token", required=True, help="the bearer token the emulator accepts")
    emulator.add_argument(
        "--state-file",
        type=Path,
        help="load the account from this JSON file at start and save it there when stopped",
    )
    emulator.add_argument(
        "--site", default="example", help="Capsule only: the site (account) subdomain /site names"
    )
    emulator.add_argument(
        "--rate-limit", type=int, help="requests allowed per window (default: the API's own)"
    )
    emulator.add_argument(
        "--rate-window", type=float, default=3600.0, help="rate window in seconds (default 3600)"
    )
    emulator.set_defaults(run=_run_emulator)

    schema = commands.add_parser("schema", help="print the JSON Schema of stages.yaml")
    schema.set_defaults(run=_print_schema)

    export = commands.add_parser(
        "export",
        help="write a stages.yaml (with adopt: true) from the stages an account holds now",
    )
    export.add_argument("api", choices=sorted(EXPORTERS))
    export.add_argument(
        "--base-url", help="API base URL (default: $OUTREACH_BASE_URL / $CAPSULE_BASE_URL)"
    )
    export.add_argument(
        "--token",
        help="access token (default: $OUTREACH_ACCESS_TOKEN / $CAPSULE_ACCESS_TOKEN; "
        "prefer the variable, a flag shows in the process list)",
    )
    export.add_argument("-o", "--output", default="stages.yaml", help="file to write, - for stdout")
    export.add_argument("--force", action="store_true", help="overwrite the output file")
    export.set_defaults(run=_export)
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
