"""A loopback S3-compatible store for tests: moto's server mode on a free port, one bucket."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.postgres import free_port

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


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
