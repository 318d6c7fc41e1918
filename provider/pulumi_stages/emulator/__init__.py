"""Local stand-ins for the CRM APIs: real HTTP servers on 127.0.0.1 for tests, demos, benchmarks."""

from .outreach import OutreachService, OutreachState
from .server import EmulatorServer, LoggedRequest, RequestLog

SERVICES = {"outreach": OutreachService}
"""Emulated APIs by CLI name."""

__all__ = [
    "SERVICES",
    "EmulatorServer",
    "LoggedRequest",
    "OutreachService",
    "OutreachState",
    "RequestLog",
]
