"""Local stand-ins for the CRM APIs: real HTTP servers on 127.0.0.1 for tests, demos, benchmarks.

Each CRM is a package here (`outreach/`, `capsule/`) in moto's shape: `state` (the account, no
HTTP), `wire` (the wire format and routes), and a `SERVICE` class the shared server runs. This
module names no CRM: `services()` finds every package with a `SERVICE`, so adding a CRM means
adding a package, with no edit to a shared file. A CRM defined elsewhere (a test's) joins with
`register_service`.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

from .server import EmulatorServer, LoggedRequest, RequestLog, Service

_REGISTERED: dict[str, type[Service]] = {}


def _service_modules() -> list[ModuleType]:
    """The packages and modules of this package that define a `SERVICE`, by name."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if getattr(module, "SERVICE", None) is not None:
            found.append(module)
    return found


def services() -> dict[str, type[Service]]:
    """Every emulated API by its `name`: this package's CRMs, then any registered ones."""
    found: dict[str, type[Service]] = {m.SERVICE.name: m.SERVICE for m in _service_modules()}
    found.update(_REGISTERED)
    return found


def register_service(cls: type[Service]) -> type[Service]:
    """Make a Service class defined outside this package known to `services()` (usable as a
    class decorator); it replaces any service of the same name."""
    _REGISTERED[cls.name] = cls
    return cls


def unregister_service(name: str) -> None:
    """Forget a service registered with `register_service`."""
    _REGISTERED.pop(name, None)


def __getattr__(name: str) -> Any:
    """Older names (`OutreachService`, `CapsuleState`, `SERVICES`, ...) from the CRM packages."""
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "SERVICES":
        return services()
    owners = [m for m in _service_modules() if name in getattr(m, "__all__", ())]
    if len(owners) == 1:
        return getattr(owners[0], name)
    if owners:
        where = " and ".join(m.__name__ for m in owners)
        raise AttributeError(f"{name!r} is defined by {where}; import it from one of them")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EmulatorServer",
    "LoggedRequest",
    "RequestLog",
    "Service",
    "register_service",
    "services",
    "unregister_service",
]
