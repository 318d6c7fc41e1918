"""An emulator of Capsule CRM API v2 stages, boards and projects (kases): wrapper keys, Link paging,
Capsule's errors. `state` holds the account (no HTTP), `filters` the project filter, `wire` the
wire format and routes."""

from .filters import Condition, parse_filter, run_filter
from .state import (
    Board,
    CapsuleError,
    CapsuleOptions,
    CapsuleState,
    ProjectStatus,
    StageStatus,
    StoredProject,
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
    "Condition",
    "ProjectStatus",
    "StageStatus",
    "StoredProject",
    "StoredStage",
    "not_found",
    "parse_filter",
    "run_filter",
    "validation_failed",
]
