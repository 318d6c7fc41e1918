"""Manage CRM pipeline stages as code with Pulumi.

Declare a stage set with `pulumi_stages.stageset.StageSet` (from `stages.yaml` or Python), or
single resources from an adapter: `pulumi_stages.outreach.Stage`, `pulumi_stages.capsule.Board`.
Every error raised on purpose is a `StagesError`; the classes below tell the failures apart.
"""

from .core.errors import (
    AdoptionError,
    AdoptionTargetMissing,
    AmbiguousAdoption,
    AmbiguousCreate,
    ApiError,
    BadRequest,
    ConfigError,
    Conflict,
    ContainerNotFound,
    DeleteRefused,
    Forbidden,
    ForeignLink,
    MoveStalled,
    NotEditable,
    NotFound,
    RateLimited,
    RecordsInStage,
    ServerError,
    StagesError,
    StagesMissing,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    ValidationFailed,
    WrongAccount,
)

__all__ = [
    "AdoptionError",
    "AdoptionTargetMissing",
    "AmbiguousAdoption",
    "AmbiguousCreate",
    "ApiError",
    "BadRequest",
    "ConfigError",
    "Conflict",
    "ContainerNotFound",
    "DeleteRefused",
    "Forbidden",
    "ForeignLink",
    "MoveStalled",
    "NotEditable",
    "NotFound",
    "RateLimited",
    "RecordsInStage",
    "ServerError",
    "StagesError",
    "StagesMissing",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "ValidationFailed",
    "WrongAccount",
]
