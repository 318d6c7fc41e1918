"""An inline program's channels share no connection state with an earlier run's: a port one
engine listened on, then died, then another engine listens on, is reached at once."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc
from pulumi.runtime import settings  # the module whose channels reach the engine and monitor

import tests.engine  # noqa: F401  (applies the option, as every engine test's import does)


class _Answer(grpc.GenericRpcHandler):
    """Answers any method with an empty message."""

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(lambda request, context: b"")


def _listen(port: int) -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    server.add_generic_rpc_handlers((_Answer(),))
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    return server, bound


def _call(address: str) -> tuple[grpc.Channel, grpc.StatusCode]:
    """One call over a new channel opened as the SDK opens its engine's and monitor's."""
    channel = grpc.insecure_channel(address, options=settings._GRPC_CHANNEL_OPTIONS)
    try:
        channel.unary_unary("/pulumirpc.Engine/Log")(b"", timeout=10)
    except grpc.RpcError as error:
        return channel, error.code()
    return channel, grpc.StatusCode.OK


def test_a_new_engine_on_a_port_a_dead_one_used_is_reached_at_once() -> None:
    first, port = _listen(0)
    address = f"127.0.0.1:{port}"
    first.stop(None).wait()
    dead, code = _call(address)  # kept open, as a finished run's settings keep theirs
    assert code == grpc.StatusCode.UNAVAILABLE, "the first engine did not go away"
    second, bound = _listen(port)
    try:
        assert bound == port, "another process took the port; nothing was shown"
        fresh, code = _call(address)
        fresh.close()
        assert code == grpc.StatusCode.OK, f"the new engine was not reached: {code}"
    finally:
        second.stop(None).wait()
        dead.close()
