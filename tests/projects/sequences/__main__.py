"""The random-sequence machine's stage set as a plain `pulumi` program: the declaration the
machine keeps, read from the JSON file `SEQUENCE_SPEC` names. The machine copies this file into
its Automation API workspace, so `pulumi up` run by the CLI (and killed) and the Automation API's
runs share one project, stack and state (tests/test_random_sequences_e2e.py)."""

import json
import os
from pathlib import Path

from pulumi_stages.stageset import StageSet

StageSet("pipeline", json.loads(Path(os.environ["SEQUENCE_SPEC"]).read_text()))
