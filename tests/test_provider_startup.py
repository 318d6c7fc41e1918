"""What a provider process loads when the engine starts it: every `pulumi` operation starts
one per stack, so a driver only some stacks need must not be imported by all of them."""

from __future__ import annotations

import subprocess
import sys

OPTIONAL_DRIVERS = ("pg8000", "boto3")


def test_a_provider_process_loads_no_backend_driver_until_its_store_needs_one() -> None:
    probe = (
        "import sys, pulumi.dynamic\n"
        "import pulumi_stages.outreach.stage, pulumi_stages.capsule.stage\n"
        "import pulumi_stages.hubspot.stage, pulumi_stages.core.memory\n"
        f"print(sorted(m for m in {OPTIONAL_DRIVERS!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
