"""An emulator of Outreach API v2 `stage` and `prospect` endpoints: JSON:API envelopes, errors,
cursor paging, and OAuth refresh grants. `state` holds the account (no HTTP), `query` the listing
rules, `oauth` the tokens, `wire` the wire format and routes."""

from .oauth import DEFAULT_REDIRECT_URI, AccessToken, Grant, OAuthError, OutreachOAuth
from .query import PROSPECT, STAGE, Cursors, ListingQuery, Page, Schema
from .state import (
    CountMode,
    JsonApiError,
    OutreachOptions,
    OutreachState,
    StoredProspect,
    StoredStage,
    not_found,
)
from .wire import JSON_API, OAUTH_TOKEN_PATH, OutreachService

SERVICE = OutreachService
"""This package's emulated API, found by `pulumi_stages.emulator.services()`."""

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "JSON_API",
    "OAUTH_TOKEN_PATH",
    "PROSPECT",
    "SERVICE",
    "STAGE",
    "AccessToken",
    "CountMode",
    "Cursors",
    "Grant",
    "JsonApiError",
    "ListingQuery",
    "OAuthError",
    "OutreachOAuth",
    "OutreachOptions",
    "OutreachService",
    "OutreachState",
    "Page",
    "Schema",
    "StoredProspect",
    "StoredStage",
    "not_found",
]
