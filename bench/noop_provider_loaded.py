"""The floor's providers in a process that has loaded what ours loads: the second yardstick.

`bench.noop_provider` imports only `pulumi`, so the floor's provider process starts without the
libraries every one of ours imports (pydantic, httpx, tenacity) and without our package. These
providers answer exactly as those do, from a module that imports our Outreach stage module,
httpx and tenacity first: `python -m bench.engine --floor loaded` then compares our stage set
with a floor that pays our imports but makes no API call, which is what is left of ours to
judge once the libraries are taken as given.
"""

from __future__ import annotations

import httpx  # noqa: F401 - loaded as ours loads it, with its first request
import tenacity  # noqa: F401

import pulumi_stages.outreach.stage  # noqa: F401 - what unpickling ours imports
from bench.noop_provider import NoopOrderProvider, NoopStageProvider


class LoadedStageProvider(NoopStageProvider):
    """`NoopStageProvider`, pickled by reference to this module."""


class LoadedOrderProvider(NoopOrderProvider):
    """`NoopOrderProvider`, pickled by reference to this module."""
