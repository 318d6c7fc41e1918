"""The `pulumi-stages` command: run an API emulator in the foreground."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from .emulator import SERVICES, EmulatorServer


def _run_emulator(args: argparse.Namespace) -> int:
    service = SERVICES[args.api](token=args.token)
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
        "--rate-limit", type=int, help="requests allowed per window (default: the API's own)"
    )
    emulator.add_argument(
        "--rate-window", type=float, default=3600.0, help="rate window in seconds (default 3600)"
    )
    emulator.set_defaults(run=_run_emulator)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
