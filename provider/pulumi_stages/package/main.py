"""`pulumi-resource-crmstages`: the provider plugin the engine starts."""

from __future__ import annotations

import sys

from pulumi.provider.experimental.server import main as serve

from .provider import VERSION, CrmStagesProvider


def main() -> None:
    """Serve the crmstages provider on the port the engine reads from stdout."""
    serve(sys.argv[1:], VERSION, CrmStagesProvider())
