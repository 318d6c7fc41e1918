"""The memory in the state backend's S3 bucket (AWS, or an S3-compatible store via `endpoint`),
under `<prefix>.pulumi-stages/` beside Pulumi's `.pulumi/`.

S3 has no append and no lock, so: a value is one object written whole; a log is a folder of
objects, one per line (named by time and a random id, written once); a lock is an object created
with a conditional write (`If-None-Match: *`), which S3 and compatible stores answer 412 while it
exists. A lock holds a lease: a holder that died without deleting it is overtaken once its lease
has run out by the store's own clock (its Last-Modified against the store's Date), with a
conditional write on the dead holder's ETag (`If-Match`), so two waiters never both take it;
a holder lets go with a delete conditional on its own ETag, so it never deletes a lock taken over.
Reads and writes follow the URL as the CLI reads it (gocloud's s3blob, pkg/v3/backend/diy
`translateLegacyS3Params` at v3.259.0): `region`, `endpoint` (with `disableSSL`), `profile`,
`s3ForcePathStyle`/`use_path_style` and `prefix`; credentials come from the AWS SDK's own chain.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import threading
import time
import uuid
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .store import LOCK_WAIT_SECONDS, LockTimeout, StoreUnusable

FOLDER = ".pulumi-stages/"
LEASE_SECONDS = 60.0
"""How long a lock is held at most: a refresh's grant times out after 30 s."""


def _flag(query: dict[str, list[str]], *names: str) -> bool:
    return any((query.get(name) or [""])[-1].lower() in ("true", "1") for name in names)


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _code(exc: Exception) -> str:
    response: Any = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(exc: Exception) -> int:
    response: Any = getattr(exc, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


class S3Pending:
    """A value written with one PUT when committed; taking the chain's lock (a conditional
    PUT) already proved the bucket writable."""

    def __init__(self, store: S3Store, key: str) -> None:
        self._store, self._key = store, key

    def commit(self, data: bytes) -> None:
        self._store.put(f"{self._key}.json", data)

    def discard(self) -> None:
        pass


class S3Store:
    """The memory in one bucket; thread-safe (boto3 clients are), log objects cached once read
    (they never change)."""

    def __init__(self, url: str) -> None:
        try:
            import boto3  # noqa: PLC0415 - only a stack on an S3 backend needs it
            from botocore.config import Config  # noqa: PLC0415
        except ImportError:
            raise StoreUnusable(
                "the AWS SDK is not installed: pip install 'pulumi-stages[s3]'"
            ) from None
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.bucket = parts.netloc
        # guess: a path after the bucket is a prefix as `?prefix=` is (gocloud reads only the
        # latter); a stack on `s3://bucket/team` would show which one the CLI writes under
        prefix = (query.get("prefix") or [parts.path.lstrip("/")])[-1]
        self._prefix = (prefix.rstrip("/") + "/" if prefix else "") + FOLDER
        endpoint = (query.get("endpoint") or [""])[-1] or None
        insecure = _flag(query, "disableSSL", "disable_https")
        if endpoint and "://" not in endpoint:
            endpoint = f"{'http' if insecure else 'https'}://{endpoint}"
        if (
            endpoint
            and endpoint.startswith("http://")
            and not _loopback(urlsplit(endpoint).hostname or "")
        ):
            raise StoreUnusable(f"{endpoint} is not https: credentials never travel in clear")
        session = boto3.session.Session(profile_name=_last(query, "profile"))
        path_style = _flag(query, "s3ForcePathStyle", "use_path_style")
        self._client: Any = session.client(
            "s3",
            region_name=_last(query, "region"),
            endpoint_url=endpoint,
            config=Config(s3={"addressing_style": "path" if path_style else "auto"}),
        )
        self._errors: tuple[type[Exception], ...] = (
            self._client.exceptions.ClientError,
            *self._transport_errors(),
        )
        self._lines: dict[str, str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _transport_errors() -> tuple[type[Exception], ...]:
        from botocore.exceptions import BotoCoreError  # noqa: PLC0415

        return (BotoCoreError,)

    @property
    def where(self) -> str:
        return f"s3://{self.bucket}/{self._prefix}"

    def _fail(self, exc: Exception) -> StoreUnusable:
        return StoreUnusable(_code(exc) or type(exc).__name__)

    def put(self, name: str, data: bytes, **conditions: str) -> dict[str, Any]:
        """PUT one object (with `IfNoneMatch`/`IfMatch` when given); StoreUnusable on failure."""
        try:
            answer: dict[str, Any] = self._client.put_object(
                Bucket=self.bucket, Key=self._prefix + name, Body=data, **conditions
            )
            return answer
        except self._errors as exc:
            raise self._fail(exc) from None

    def _get(self, name: str) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = self._client.get_object(
                Bucket=self.bucket, Key=self._prefix + name
            )
            return answer
        except self._client.exceptions.NoSuchKey:
            return None
        except self._errors as exc:
            if _status(exc) == 404:
                return None
            raise self._fail(exc) from None

    def load(self, key: str) -> bytes | None:
        answer = self._get(f"{key}.json")
        return bytes(answer["Body"].read()) if answer else None

    def pending(self, key: str) -> S3Pending:
        return S3Pending(self, key)

    def _take(self, name: str) -> str | None:
        """Create the lock object, or overtake one whose lease ran out; its ETag, or None."""
        body = json.dumps({"holder": uuid.uuid4().hex, "lease": LEASE_SECONDS}).encode()
        try:
            return str(self.put(name, body, IfNoneMatch="*")["ETag"])
        except StoreUnusable as exc:
            if exc.reason not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
        held = self._get(name)
        if held is None:
            return None  # let go meanwhile: try again
        now = parsedate_to_datetime(held["ResponseMetadata"]["HTTPHeaders"]["date"])
        if (now - held["LastModified"]).total_seconds() < LEASE_SECONDS:
            return None
        try:  # its holder died: overtake it, unless another waiter already has
            return str(self.put(name, body, IfMatch=held["ETag"])["ETag"])
        except StoreUnusable as exc:
            if exc.reason in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"):
                return None
            raise

    @contextlib.contextmanager
    def locked(self, key: str, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
        name = f"{key}.lock"
        deadline = time.monotonic() + wait
        pause = 0.05
        while (etag := self._take(name)) is None:
            if time.monotonic() >= deadline:
                raise LockTimeout(key)
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        try:
            yield
        finally:
            with contextlib.suppress(*self._errors):
                self._let_go(self._prefix + name, etag)

    def _let_go(self, key: str, etag: str) -> None:
        """Delete the lock object if it is still ours: the HEAD skips one overtaken long ago
        (after its lease ran out) even where a store ignores a conditional delete; the delete
        on our ETag (`If-Match`) spares a waiter who overtook it between the two requests."""
        if self._client.head_object(Bucket=self.bucket, Key=key)["ETag"] != etag:
            return
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key, IfMatch=etag)
        except self._errors as exc:
            if _code(exc) in ("PreconditionFailed", "ConditionalRequestConflict"):
                return  # overtaken meanwhile: the lock is the other waiter's now
            # guess: a store without conditional deletes refuses `If-Match` on DELETE (and a
            # botocore too old to know the parameter refuses it here); which stores do would
            # settle the fallback's need
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def append(self, log: str, line: str) -> None:
        name = f"{log}/{time.time_ns():020d}-{uuid.uuid4().hex}.json"
        self.put(name, line.encode(), IfNoneMatch="*")

    def lines(self, log: str) -> list[str]:
        names: list[str] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self._prefix}{log}/"
            )
            for page in pages:
                names += [str(item["Key"]) for item in page.get("Contents", [])]
        except self._errors as exc:
            raise self._fail(exc) from None
        found = []
        for name in sorted(names):
            with self._lock:
                line = self._lines.get(name)
            if line is None:
                answer = self._get(name[len(self._prefix) :])
                if answer is None:
                    continue
                line = answer["Body"].read().decode()
                with self._lock:
                    self._lines[name] = line
            found.append(line)
        return found
