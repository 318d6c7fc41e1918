"""Manage CRM pipeline stages as code with Pulumi.

Import the adapter you need: `pulumi_stages.outreach.Stage`.
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
