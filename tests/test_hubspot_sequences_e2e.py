"""Random sequences through the real engine for HubSpot: the machine of `tests/sequences/` over
a deal pipeline and a ticket pipeline with deals and tickets in their stages (see
`tests/sequences/hubspot.py`); every step kind runs, `kill -9` on HubSpot's own stage-create route.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sequences import model
from tests.sequences.hubspot import HubSpotMachine
from tests.sequences.runner import run_sequences

pytestmark = pytest.mark.e2e


@pytest.fixture
def context(tmp_path: Path, pulumi_home: Path) -> Iterator[model.Context]:
    model.CONTEXT = model.Context(pulumi_home, tmp_path)
    yield model.CONTEXT
    model.CONTEXT = None


def test_random_hubspot_sequences_converge(
    context: model.Context, request: pytest.FixtureRequest
) -> None:
    run_sequences(HubSpotMachine, context, request)
