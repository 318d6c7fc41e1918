"""An emulator of HubSpot's CRM Pipelines API (pipelines and stages of every object type that has
them: `objects`), the records in them (CRM objects: search and update) and account info. `state`
holds the portal (no HTTP), `wire` the wire format and routes."""

from .state import HubSpotError, HubSpotOptions, HubSpotState, StoredPipeline, StoredStage
from .wire import HubSpotService

SERVICE = HubSpotService
"""This package's emulated API, found by `pulumi_stages.emulator.services()`."""

__all__ = [
    "SERVICE",
    "HubSpotError",
    "HubSpotOptions",
    "HubSpotService",
    "HubSpotState",
    "StoredPipeline",
    "StoredStage",
]
