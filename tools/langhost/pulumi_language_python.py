"""A stand-in for Pulumi's Go `pulumi-language-python` host, while that module cannot be built.

The Go module `github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3` is not served by
the module proxy this project can reach, so `tools/setup-toolchain.sh` installs this script in its
place. It serves the LanguageRuntime gRPC service the CLI speaks to and runs the project's
`__main__.py` with the Python SDK's own in-process runtime (the one the Automation API uses for
inline programs). It does not install dependencies or pick a virtualenv: the interpreter that
runs it is the project's virtualenv.
"""

from __future__ import annotations

import os
import runpy
import sys
from concurrent import futures
from threading import Event
from typing import Any

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2, language_pb2_grpc


class ProjectLanguageServer(LanguageServer):
    """Runs the program found in the Pulumi project's directory, in this process."""

    def __init__(self, engine_address: str) -> None:
        super().__init__(self._program)
        self.engine_address = engine_address
        self.program_dir = "."

    def _program(self) -> None:
        sys.path.insert(0, self.program_dir)
        runpy.run_path(self.program_dir, run_name="__main__")

    def Run(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC method name)
        info = request.info
        entry = info.entry_point if info.entry_point else request.program
        self.program_dir = os.path.join(info.program_directory or request.pwd, entry)
        if request.pwd:
            os.chdir(request.pwd)
        engine_request = language_pb2.RunRequest()
        engine_request.CopyFrom(request)
        del engine_request.args[:]
        engine_request.args.append(self.engine_address)
        return super().Run(engine_request, context)


def main() -> None:
    """Serve on a free loopback port, print it for the CLI, and wait to be killed."""
    engine_address = sys.argv[-1] if len(sys.argv) > 1 else ""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(
        ProjectLanguageServer(engine_address), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    try:
        Event().wait()
    except KeyboardInterrupt:  # the CLI stops its plugins with SIGINT
        server.stop(0)


if __name__ == "__main__":
    main()
