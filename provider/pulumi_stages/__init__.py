"""Manage CRM pipeline stages as code with Pulumi.

Declare a stage set with `pulumi_stages.stageset.StageSet` (from `stages.yaml` or Python), or
single resources from an adapter: `pulumi_stages.outreach.Stage`, `pulumi_stages.capsule.Board`.
"""

from .core.errors import (
    ApiError,
    BadRequest,
    ConfigError,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    ServerError,
    StagesError,
    TransportError,
    Unauthorized,
    ValidationFailed,
)

__all__ = [
    "ApiError",
    "BadRequest",
    "ConfigError",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "ServerError",
    "StagesError",
    "TransportError",
    "Unauthorized",
    "ValidationFailed",
]
