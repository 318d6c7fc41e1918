"""Credentials and base URLs from stack config or the environment, resolved in the provider process.

Nothing here is ever pickled into Pulumi state: providers keep the stack config they are handed by
`configure` in memory only and resolve an Endpoint when they first talk to the API.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import ConfigError
from .http import ApiClient, Endpoint, require_base_url, require_secure, shown_url
from .memory import memory_location, memory_secret
from .oauth import RefreshCredentials


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
    identify: Callable[[ApiClient], str] | None = None
    """Names the account an API client's token belongs to (for `expectedAccount`); None when the API
    offers no way to tell."""

    @property
    def token_key(self) -> str:
        """Stack config key of the access token."""
        return f"{self.namespace}:accessToken"

    @property
    def base_url_key(self) -> str:
        """Stack config key of the base URL."""
        return f"{self.namespace}:baseUrl"

    def key(self, name: str) -> str:
        """The stack config key `namespace:name`."""
        return f"{self.namespace}:{name}"

    def env(self, name: str) -> str:
        """The environment variable `PREFIX_NAME`."""
        return f"{self.env_prefix}_{name}"

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


def expected_account(
    settings: ApiSettings, config: StackConfig | None, environ: Mapping[str, str] | None = None
) -> str:
    """The account this stack says it manages (`ns:expectedAccount`), or "" for any."""
    environ = os.environ if environ is None else environ
    return _lookup(
        config, settings.key("expectedAccount"), environ, settings.env("EXPECTED_ACCOUNT")
    )


def base_url_of(
    settings: ApiSettings, config: StackConfig | None, environ: Mapping[str, str] | None = None
) -> str:
    """The configured base URL (stack config, then environment, then the default)."""
    environ = os.environ if environ is None else environ
    base_url = _lookup(config, settings.base_url_key, environ, settings.base_url_env)
    base_url = base_url or settings.default_base_url
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{settings.base_url_key} must be an http(s) URL such as "
            f"{settings.default_base_url}, got {shown_url(base_url)!r}."
        )
    return base_url


def endpoint_rules(
    settings: ApiSettings, config: StackConfig | None, environ: Mapping[str, str] | None = None
) -> None:
    """Refuse, with no request and no token needed, the URLs the client would refuse: a
    preview stops where the `up` would (plain http to a remote host, a user or password in a
    URL, half the refresh settings)."""
    environ = os.environ if environ is None else environ
    base_url = base_url_of(settings, config, environ)
    require_base_url(base_url, f"The {settings.api} base URL")
    _refresh_credentials(settings, config, environ, base_url)


def resolve_endpoint(
    settings: ApiSettings,
    config: StackConfig | None,
    environ: Mapping[str, str] | None = None,
) -> Endpoint:
    """The endpoint for this API: stack config first, then environment, then the default URL."""
    environ = os.environ if environ is None else environ
    base_url = base_url_of(settings, config, environ)
    refresh = _refresh_credentials(settings, config, environ, base_url)
    token = _lookup(config, settings.token_key, environ, settings.token_env)
    if any(ch.isspace() or not ch.isprintable() for ch in token):
        raise ConfigError(
            f"{settings.token_key} contains spaces or control characters; "
            "set it again without them."
        )
    if not token and refresh is None:
        raise ConfigError(
            f"No {settings.api} access token: set it with "
            f"`pulumi config set --secret {settings.token_key} <token>` "
            f"or the {settings.token_env} environment variable (or set "
            f"{settings.key('refreshToken')}, {settings.key('clientId')} and "
            f"{settings.key('clientSecret')} to mint one)."
        )
    return Endpoint(settings.api, base_url.rstrip("/"), token, refresh)


REFRESH_SETTINGS = (
    ("refreshToken", "REFRESH_TOKEN"),
    ("clientId", "CLIENT_ID"),
    ("clientSecret", "CLIENT_SECRET"),
)
"""The settings a token refresh needs (config name, environment suffix), all three or none;
`tokenUrl` is optional."""


def _refresh_credentials(
    settings: ApiSettings, config: StackConfig | None, environ: Mapping[str, str], base_url: str
) -> RefreshCredentials | None:
    """Refresh token and client credentials when all three are set; the token URL defaults to
    `/oauth/token` on the API's host and must be https (http only on loopback, like base URLs),
    and the redirect URI (`ns:redirectUri`), when set, is sent with each grant as Outreach's
    documented refresh request does."""

    values = {
        name: _lookup(config, settings.key(name), environ, settings.env(env))
        for name, env in REFRESH_SETTINGS
    }
    given = [name for name, value in values.items() if value]
    if not given:
        return None
    if len(given) < len(values):
        missing = ", ".join(settings.key(n) for n in values if n not in given)
        raise ConfigError(f"Refreshing {settings.api} tokens needs {missing} as well.")
    parts = urlsplit(base_url)
    default_url = f"{parts.scheme}://{parts.netloc}/oauth/token"
    token_url = _lookup(config, settings.key("tokenUrl"), environ, settings.env("TOKEN_URL"))
    redirect_uri = _lookup(
        config, settings.key("redirectUri"), environ, settings.env("REDIRECT_URI")
    )
    # The grant carries the refresh token and the client secret: https only, as for base URLs.
    require_secure(
        token_url or default_url,
        f"The {settings.api} token URL ({settings.key('tokenUrl')} or {settings.env('TOKEN_URL')})",
    )
    return RefreshCredentials(
        token_url=token_url or default_url,
        client_id=values["clientId"],
        client_secret=values["clientSecret"],
        refresh_token=values["refreshToken"],
        redirect_uri=redirect_uri or None,
        memory=memory_location(config, environ),
        memory_secret=memory_secret(config, environ),
    )
