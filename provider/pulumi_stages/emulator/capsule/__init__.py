"""An emulator of Capsule CRM API v2 stages and boards: wrapper keys, Link paging, Capsule's errors.
`state` holds the account (no HTTP), `wire` the wire format and routes."""

from .state import (
    Board,
    CapsuleError,
    CapsuleOptions,
    CapsuleState,
    StageStatus,
    StoredStage,
    not_found,
    validation_failed,
)
from .wire import CapsuleService, CapsuleUser

SERVICE = CapsuleService
"""This package's emulated API, found by `pulumi_stages.emulator.services()`."""

__all__ = [
    "SERVICE",
    "Board",
    "CapsuleError",
    "CapsuleOptions",
    "CapsuleService",
    "CapsuleState",
    "CapsuleUser",
    "StageStatus",
    "StoredStage",
    "not_found",
    "validation_failed",
]
