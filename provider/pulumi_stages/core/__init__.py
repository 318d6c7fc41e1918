"""The API-agnostic core: HTTP, errors, config and the generic dynamic provider."""
