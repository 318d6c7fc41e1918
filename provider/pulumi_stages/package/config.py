"""The package's own config keys (`crmstages:outreachAccessToken`), read as the core's keys.

The core reads `outreach:accessToken`, `pulumiStages:memory`, ...; the package names each
`crmstages:<namespace><Key>` (memory keys without a namespace). Environment variables work as for
the dynamic providers, since the core falls back to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.memory.location import MEMORY_CONFIG
from ..core.memory.sealing import KEY_CONFIG
from ..core.registry import adapters


@dataclass(frozen=True)
class ConfigKey:
    """One package config key: its name, the core key it stands for, whether it is secret."""

    name: str
    core_key: str
    secret: bool
    description: str


API_KEYS: tuple[tuple[str, bool, str], ...] = (
    ("accessToken", True, "The {api} access token (or the {env}_ACCESS_TOKEN variable)."),
    ("baseUrl", False, "The {api} API's base URL (or {env}_BASE_URL); https, or loopback."),
    ("expectedAccount", False, "The {api} account this stack manages; another fails a preview."),
    ("refreshToken", True, "An {api} OAuth refresh token, to mint access tokens."),
    ("clientId", False, "The {api} OAuth client id, with the refresh token."),
    ("clientSecret", True, "The {api} OAuth client secret, with the refresh token."),
    ("tokenUrl", False, "The {api} OAuth token URL (default: /oauth/token on the API's host)."),
    ("redirectUri", False, "The redirect URI sent with each {api} token refresh."),
)
"""The keys the core reads for every API, with what they hold."""

MEMORY_KEYS = (
    ConfigKey(
        "memory",
        MEMORY_CONFIG,
        True,
        "Where the provider's memory (create journal, rotated tokens) lives; default: beside "
        "the state backend.",
    ),
    ConfigKey("memoryKey", KEY_CONFIG, True, "The key that seals tokens kept in the memory."),
)


def config_keys() -> list[ConfigKey]:
    """Every package config key, for the registered adapters."""
    keys = []
    for adapter in adapters().values():
        settings = adapter.settings
        for key, secret, text in API_KEYS:
            keys.append(
                ConfigKey(
                    f"{settings.namespace}{key[0].upper()}{key[1:]}",
                    settings.key(key),
                    secret,
                    text.format(api=settings.api, env=settings.env_prefix),
                )
            )
    return [*keys, *MEMORY_KEYS]


class PackageConfig:
    """The provider's configuration, answering the core's keys (a `StackConfig`)."""

    def __init__(self, args: Mapping[str, Any]) -> None:
        by_core = {key.core_key: key.name for key in config_keys()}
        self._values = {
            core: args[name] for core, name in by_core.items() if args.get(name) not in (None, "")
        }

    def get(self, key: str) -> Any:
        return self._values.get(key)
