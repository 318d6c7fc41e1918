"""A loopback S3-compatible store for tests: moto's server mode on a free port, one bucket."""

from __future__ import annotations

import contextlib
import functools
import threading
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.s3.responses import S3Response
from moto.server import ThreadedMotoServer

from tests.postgres import free_port

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}

WRITES = threading.RLock()
"""One object write or delete at a time in moto's server, as S3 answers them.

moto 5.2.5's `put_object` checks `If-None-Match`/`If-Match` and writes some lines later, with
no lock between, while its server answers each request on its own thread: two conditional PUTs
could both win (seen twice in CI: two lock holders at once). S3 does not let them: of
concurrent conditional writes to one key the first to finish wins and the others are refused
(412, or 409 ConditionalRequestConflict; S3's guide to conditional writes), so the emulator
must not either. Guarded in tests/test_memory_s3.py."""


def _one_at_a_time(handler: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(handler)
    def atomic(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        with WRITES:
            return handler(self, *args, **kwargs)

    return atomic


S3Response.put_object = _one_at_a_time(S3Response.put_object)  # type: ignore[method-assign]
S3Response.delete_object = _one_at_a_time(S3Response.delete_object)  # type: ignore[method-assign]


@contextlib.contextmanager
def s3_bucket(name: str) -> Iterator[str]:
    """A bucket on a throwaway loopback S3 server; yields its `pulumi login` URL. The fake
    credentials are set in this process's environment (runners inherit them) until the end."""
    with pytest.MonkeyPatch.context() as environment:  # puts every variable back after
        for key, value in CREDENTIALS.items():
            environment.setenv(key, value)
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{port}"
            # moto keeps its accounts per process, past a server's stop: start from none
            with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", b"")):
                pass
            boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
            yield (
                f"s3://{name}?endpoint=127.0.0.1:{port}&disableSSL=true&s3ForcePathStyle=true"
                "&region=us-east-1"
            )
        finally:
            server.stop()


def objects(url: str) -> dict[str, bytes]:
    """Every object in the bucket of a `s3_bucket` URL, by key."""
    parts = urlsplit(url)
    endpoint = "http://" + parse_qs(parts.query)["endpoint"][0]
    client = boto3.client("s3", endpoint_url=endpoint)
    listed = client.list_objects_v2(Bucket=parts.netloc).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=parts.netloc, Key=item["Key"])["Body"].read()
        for item in listed
    }
