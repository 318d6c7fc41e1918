"""Benchmark: the CPU a dynamic-provider process spends before it serves its first request.

Every engine operation (`up`, `preview`, `refresh`) starts one per stack, so this cost is paid
about a thousand times by the test suite and once per operation by every user. Per adapter it
starts the real process the way the CLI does (`tests.provider_process`), Configures it for an
emulator and Checks a stage, and prints the median CPU-seconds (user+sys) of `--runs` starts until
that answer: a new stage (whose name Check looks up in the account) and an unchanged one (as in a
no-op preview, where no request is made). `--modules` also prints how many modules a start
imported, our own and the third-party packages among them. Run with
`python -m bench.provider_start`.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from tests.provider_process import first_answer, scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--adapters", default="outreach,capsule,hubspot")
    parser.add_argument("--modules", action="store_true", help="list what each start imports")
    args = parser.parse_args()
    known = scenarios()
    for name in args.adapters.split(","):
        scenario = known[name]
        for unchanged, what in ((False, "new"), (True, "unchanged")):
            runs = [
                first_answer(scenario, unchanged=unchanged).cpu_seconds for _ in range(args.runs)
            ]
            shown = " ".join(f"{r:.2f}" for r in runs)
            median = statistics.median(runs)
            print(f"{name:9} {what:9} median {median:.3f} CPU-s  (runs: {shown})")
        if args.modules:
            modules = first_answer(scenario, modules=True).modules
            ours = sorted(m for m in modules if m.startswith("pulumi_stages"))
            tops = {m.split(".")[0] for m in modules} - set(sys.stdlib_module_names)
            third = sorted(t for t in tops if not t.startswith("_") and t != "pulumi_stages")
            print(f"  {len(modules)} modules, {len(ours)} of ours: {' '.join(ours)}")
            print(f"  third-party packages: {' '.join(third)}")


if __name__ == "__main__":
    main()
