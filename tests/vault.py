"""A loopback stand-in for HashiCorp Vault's transit engine: the stacks' secrets provider.

The passphrase provider derives its key with 1,000,000 rounds of PBKDF2-SHA256 in every CLI
command that reads or writes a secret, about 0.2 CPU-s each and half of a command's CPU; the
suite runs some 1,500 of them. A `hashivault://` stack wraps its data key once at `stack init`
and unwraps it with one HTTP call a command; its secrets in state and config are encrypted
with that data key (AES-256-GCM) by the engine just the same. Users' own secrets providers are
none of the product's business, so the tests of secrets in state prove what they proved.

Only the two calls the engine's keeper makes (gocloud.dev/secrets/hashivault:
`PUT /v1/transit/{encrypt,decrypt}/<key>`, JSON in and out, the token in `X-Vault-Token`).
The wrapping is real AES-GCM under one fixed key, so every test worker (each runs its own
server) opens a stack another one saved.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRETS_PROVIDER = "hashivault://stages"
"""The `--secrets-provider` of the suite's stacks (the key's name is the URL's host)."""

TOKEN = "vault-test-token"
_KEY = AESGCM(hashlib.sha256(b"pulumi-stages test transit key").digest())
_PREFIX = "vault:v1:"


def _wrap(plaintext: bytes) -> str:
    nonce = secrets.token_bytes(12)
    return _PREFIX + base64.b64encode(nonce + _KEY.encrypt(nonce, plaintext, None)).decode()


def _unwrap(ciphertext: str) -> bytes:
    if not ciphertext.startswith(_PREFIX):
        raise ValueError("invalid ciphertext: no prefix")
    raw = base64.b64decode(ciphertext[len(_PREFIX) :])
    return _KEY.decrypt(raw[:12], raw[12:], None)


def unwrap_data_key(encrypted_key: str) -> bytes:
    """A stack's data key from its settings' `encryptedkey` (the base64 of what the transit
    engine's encrypt call answered), as the CLI unwraps it."""
    return _unwrap(base64.b64decode(encrypted_key).decode())


class _Transit(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:  # the Vault client writes with PUT
        self._answer()

    def do_POST(self) -> None:  # Vault takes POST for writes as well
        self._answer()

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("X-Vault-Token") != TOKEN:
            return self._send(403, {"errors": ["permission denied"]})
        try:
            body = json.loads(raw or b"{}")
            if self.path == "/v1/transit/encrypt/stages":
                data = {"ciphertext": _wrap(base64.b64decode(body["plaintext"]))}
            elif self.path == "/v1/transit/decrypt/stages":
                data = {"plaintext": base64.b64encode(_unwrap(body["ciphertext"])).decode()}
            else:
                return self._send(404, {"errors": []})
        except InvalidTag:
            return self._send(400, {"errors": ["cipher: message authentication failed"]})
        except (KeyError, ValueError, TypeError, AttributeError) as error:  # json's: ValueError
            return self._send(400, {"errors": [str(error) or type(error).__name__]})
        self._send(200, {"request_id": secrets.token_hex(8), "data": data, "warnings": None})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        encoded = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: Any) -> None:
        pass


ENV = (
    "VAULT_SERVER_URL",
    "VAULT_SERVER_TOKEN",
    # read by the engine's Vault client too: a developer's own must not reach the stand-in
    # (a real token) or route it (a proxy)
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "VAULT_NAMESPACE",
    "VAULT_HEADERS",
    "VAULT_HTTP_PROXY",
    "VAULT_PROXY_ADDR",
)


@contextlib.contextmanager
def transit_server() -> Iterator[str]:
    """Serve the transit stand-in on a free loopback port, named in this process's environment
    (every CLI the tests start inherits it) until the end; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Transit)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.MonkeyPatch.context() as environment:  # puts every variable back after
            for name in ENV:
                environment.delenv(name, raising=False)
            environment.setenv("VAULT_SERVER_URL", url)
            environment.setenv("VAULT_SERVER_TOKEN", TOKEN)
            yield url
    finally:
        server.shutdown()
        server.server_close()
