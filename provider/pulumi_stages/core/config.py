"""Credentials and base URLs from stack config or the environment, resolved in the provider process.

Nothing here is ever pickled into Pulumi state: providers keep the stack config they are handed by
`configure` in memory only and resolve an Endpoint when they first talk to the API.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import ConfigError
from .http import Endpoint


class StackConfig(Protocol):
    """The part of `pulumi.dynamic.Config` this module reads."""

    def get(self, key: str) -> Any:
        """The value of a namespaced key such as `outreach:accessToken`, or None."""
        ...


@dataclass(frozen=True)
class ApiSettings:
    """Where one API's settings live: its config namespace, environment prefix and default URL."""

    api: str
    namespace: str
    env_prefix: str
    default_base_url: str

    @property
    def token_key(self) -> str:
        """Stack config key of the access token."""
        return f"{self.namespace}:accessToken"

    @property
    def base_url_key(self) -> str:
        """Stack config key of the base URL."""
        return f"{self.namespace}:baseUrl"

    @property
    def token_env(self) -> str:
        """Environment variable holding the access token."""
        return f"{self.env_prefix}_ACCESS_TOKEN"

    @property
    def base_url_env(self) -> str:
        """Environment variable holding the base URL."""
        return f"{self.env_prefix}_BASE_URL"


def _lookup(config: StackConfig | None, key: str, environ: Mapping[str, str], env: str) -> str:
    value = config.get(key) if config is not None else None
    if value is None or value == "":
        value = environ.get(env, "")
    return str(value).strip()


def resolve_endpoint(
    settings: ApiSettings,
    config: StackConfig | None,
    environ: Mapping[str, str] | None = None,
) -> Endpoint:
    """The endpoint for this API: stack config first, then environment, then the default URL."""
    environ = os.environ if environ is None else environ
    token = _lookup(config, settings.token_key, environ, settings.token_env)
    if not token:
        raise ConfigError(
            f"No {settings.api} access token: set it with "
            f"`pulumi config set --secret {settings.token_key} <token>` "
            f"or the {settings.token_env} environment variable."
        )
    base_url = _lookup(config, settings.base_url_key, environ, settings.base_url_env)
    base_url = base_url or settings.default_base_url
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{settings.base_url_key} must be an http(s) URL such as "
            f"{settings.default_base_url}, got {base_url!r}."
        )
    return Endpoint(api=settings.api, base_url=base_url.rstrip("/"), token=token)
