"""Where the provider's memory lives: set in config, else beside the stack's state backend.

The provider process learns the backend the way the `pulumi` CLI chose it (pkg/v3/workspace/
creds.go `GetCurrentCloudURLWithSource` at v3.259.0): `PULUMI_BACKEND_URL`, else the project
file's `backend.url`, else the `current` login in `credentials.json` (in `PULUMI_CREDENTIALS_PATH`,
else `PULUMI_HOME`, else `~/.pulumi`). The CLI passes plugins its own environment and starts
them in the project folder (pkg/v3/resource/plugin/plugin.go), so all three are visible here; it
passes nothing about a self-managed backend itself (only Pulumi Cloud credentials, in
resource/plugin/cloud_credentials.go).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import yaml

from .sealing import ConfigLookup

MEMORY_CONFIG = "pulumiStages:memory"
MEMORY_ENV = "PULUMI_STAGES_MEMORY"
TOKEN_CACHE_ENV = "PULUMI_STAGES_TOKEN_CACHE"
"""The older setting: a local folder for tokens only (the journal beside it, in `../journal`)."""

FOLDER = ".pulumi-stages"
"""The memory's folder at the root of a `file://` backend (beside its `.pulumi`)."""


@dataclass(frozen=True)
class Location:
    """A place for the memory: a `file://` folder or a `postgres://` database, and why it was
    chosen (`config`, `environment`, `backend`, `token cache`, `local cache`)."""

    url: str
    source: str
    tokens_folder: str = ""
    """Set only by PULUMI_STAGES_TOKEN_CACHE: where tokens go instead of `<root>/tokens`."""

    def __repr__(self) -> str:
        """Never the URL's password (a postgres:// URL may carry one)."""
        return f"Location({shown(self.url)!r}, source={self.source!r})"


def _project_backend(cwd: Path) -> str:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        try:
            project: Any = yaml.safe_load((cwd / name).read_text())
        except (OSError, yaml.YAMLError):
            continue
        backend = project.get("backend") if isinstance(project, dict) else None
        url = backend.get("url") if isinstance(backend, dict) else None
        return str(url) if url else ""
    return ""


def _logged_in(environ: Mapping[str, str]) -> str:
    folder = environ.get("PULUMI_CREDENTIALS_PATH") or environ.get("PULUMI_HOME")
    path = Path(folder) if folder else Path(environ.get("HOME") or Path.home()) / ".pulumi"
    try:
        credentials: Any = json.loads((path / "credentials.json").read_text())
    except (OSError, ValueError):
        return ""  # none, or encrypted by an OS key store (PULUMI_CREDENTIAL_STORE): unknown
    current = credentials.get("current") if isinstance(credentials, dict) else None
    return str(current) if current else ""


def backend_url(environ: Mapping[str, str], cwd: Path) -> str:
    """The state backend's URL as the CLI chose it, or "" when none can be told."""
    return environ.get("PULUMI_BACKEND_URL") or _project_backend(cwd) or _logged_in(environ)


def _file_root(url: str, cwd: Path, environ: Mapping[str, str]) -> Path:
    """The folder a `file://` URL names, as the CLI resolves it (`~`, relative paths)."""
    path = url[len("file://") :].split("?", 1)[0]
    if path.startswith("~"):
        path = str(Path(environ.get("HOME") or Path.home())) + path[1:]
    return Path(path) if os.path.isabs(path) else cwd / path


def _local_cache(environ: Mapping[str, str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "pulumi-stages"


def memory_location(
    config: ConfigLookup | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Location:
    """Config (`pulumiStages:memory`), else PULUMI_STAGES_MEMORY, else the older token cache
    folder, else beside a `file://`, `postgres://` or `s3://` backend, else the local cache (a
    backend that keeps nothing of ours: Pulumi Cloud, or one this version does not write to)."""
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    configured = config.get(MEMORY_CONFIG) if config is not None else None
    for value, source in ((configured, "config"), (environ.get(MEMORY_ENV), "environment")):
        if value:
            text = str(value).strip()
            if text.startswith(("postgres://", "postgresql://", "s3://")):
                return Location(text, source)
            root = _file_root(text, cwd, environ) if text.startswith("file://") else Path(text)
            return Location((root if root.is_absolute() else cwd / root).as_uri(), source)
    legacy = environ.get(TOKEN_CACHE_ENV)
    if legacy:
        tokens = Path(legacy) if os.path.isabs(legacy) else cwd / legacy
        return Location(tokens.parent.as_uri(), "token cache", str(tokens))
    backend = backend_url(environ, cwd)
    if backend.startswith("file://"):
        return Location((_file_root(backend, cwd, environ) / FOLDER).as_uri(), "backend")
    if backend.startswith(("postgres://", "postgresql://", "s3://")):
        return Location(backend, "backend")
    return Location(_local_cache(environ).as_uri(), "local cache")


def shown(url: str) -> str:
    """A location as messages show it: no password, no query."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return unquote(parts.path)
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))
