"""Rotated tokens at rest: AES-256-GCM under a key the stack already has.

The key is derived (scrypt, a fresh salt per value) from `pulumiStages:memoryKey` when the stack
sets one (a secret; `PULUMI_STAGES_MEMORY_KEY` in the environment), else from the passphrase of
the stack's passphrase secrets provider (`PULUMI_CONFIG_PASSPHRASE` or `_FILE`, which every
`pulumi` command of such a stack already has). Each value is bound to its key name, so a sealed
token cannot be moved to another chain. Nothing here ever quotes the secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Mapping
from typing import Any, Protocol

KEY_CONFIG = "pulumiStages:memoryKey"
KEY_ENV = "PULUMI_STAGES_MEMORY_KEY"
PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE_ENV = "PULUMI_CONFIG_PASSPHRASE_FILE"

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
"""scrypt's interactive-login cost (about 30 ms here): paid once per value opened or sealed."""


class ConfigLookup(Protocol):
    """The part of `pulumi.dynamic.Config` read here."""

    def get(self, key: str) -> Any:
        """The value of a namespaced key, or None."""
        ...


def memory_secret(config: ConfigLookup | None, environ: Mapping[str, str]) -> str:
    """The secret tokens are sealed with, or "" when the stack has none (then none is saved)."""
    configured = config.get(KEY_CONFIG) if config is not None else None
    for value in (configured, environ.get(KEY_ENV), environ.get(PASSPHRASE_ENV)):
        if value:
            return str(value)
    path = environ.get(PASSPHRASE_FILE_ENV)
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().rstrip("\r\n")
        except OSError:
            return ""
    return ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Sealer:
    """Seals and opens values under one secret; thread-safe, derived keys kept per salt."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a sealer needs a secret")
        self._secret = secret.encode()
        self._keys: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "Sealer(***)"

    def _key(self, salt: bytes) -> bytes:
        with self._lock:
            key = self._keys.get(salt)
        if key is None:
            key = hashlib.scrypt(
                self._secret, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
            )
            with self._lock:
                self._keys[salt] = key
        return key

    def seal(self, plaintext: bytes, label: str) -> bytes:
        """The value encrypted and bound to `label` (its key name), as JSON."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 - only OAuth pays

        salt, nonce = os.urandom(16), os.urandom(12)
        data = AESGCM(self._key(salt)).encrypt(nonce, plaintext, label.encode())
        sealed = {"sealed": "aes-256-gcm/scrypt", "salt": _b64(salt), "nonce": _b64(nonce)}
        return json.dumps({**sealed, "data": _b64(data)}).encode()

    def open(self, sealed: bytes, label: str) -> bytes | None:
        """The plaintext, or None when the value is not ours to open (another key, another
        label, tampered or not sealed at all)."""
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - only OAuth pays
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

        try:
            body = json.loads(sealed)
            salt, nonce, data = (base64.b64decode(body[k]) for k in ("salt", "nonce", "data"))
            return AESGCM(self._key(salt)).decrypt(nonce, data, label.encode())
        except (ValueError, KeyError, TypeError, InvalidTag):
            return None
