"""`pulumi-resource-crmstages`: the provider plugin the engine starts.

As the SDK's `pulumi.provider.experimental.server.main`, with a servicer that reports errors
raised on purpose as one line (`errors`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

import grpc.aio
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from .errors import OneLineServicer
from .provider import VERSION, CrmStagesProvider


async def serve(args: list[str], engine: str) -> None:
    """Serve the provider on a free loopback port, printed on stdout for the engine."""
    server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
    servicer = OneLineServicer(args, VERSION, CrmStagesProvider(), engine_address=engine)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    await server.start()
    sys.stdout.buffer.write(f"{port}\n".encode())
    sys.stdout.buffer.flush()
    await server.wait_for_termination()


def main() -> None:
    """Parse the engine's arguments and serve until the engine stops the plugin."""
    parser = argparse.ArgumentParser(description="The crmstages Pulumi provider plugin")
    parser.add_argument("engine", help="the Pulumi engine's address")
    known, _ = parser.parse_known_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(sys.argv[1:], known.engine))
