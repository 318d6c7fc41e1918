"""Local stand-ins for the CRM APIs: real HTTP servers on 127.0.0.1 for tests, demos, benchmarks."""

from .capsule import CapsuleService, CapsuleState
from .outreach import OutreachService, OutreachState
from .server import EmulatorServer, LoggedRequest, RequestLog

SERVICES: dict[str, type[CapsuleService] | type[OutreachService]] = {
    "capsule": CapsuleService,
    "outreach": OutreachService,
}
"""Emulated APIs by CLI name."""

__all__ = [
    "SERVICES",
    "CapsuleService",
    "CapsuleState",
    "EmulatorServer",
    "LoggedRequest",
    "OutreachService",
    "OutreachState",
    "RequestLog",
]
