"""`make chaos`: the full fault-injection run (see tests/chaos/runner.py)."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from tests.chaos.cluster import ChaosCluster
from tests.chaos.runner import FULL_PLAN, SHORT_PLAN, print_table, run_plan, write_report


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--run-dir", type=Path, default=Path(".run/chaos"))
    parser.add_argument("--short", action="store_true", help="the short plan `make test` runs")
    parser.add_argument("--only", action="append", default=[], help="run only scenarios with this prefix")
    args = parser.parse_args()
    plan = SHORT_PLAN if args.short else FULL_PLAN
    if args.only:
        first, rest = plan[0], plan[1:]  # the first scenario registers the organisation
        plan = (first, *(p for p in rest if any(p[0].startswith(o) for o in args.only)))
    shutil.rmtree(args.run_dir, ignore_errors=True)
    started = time.monotonic()
    cluster = ChaosCluster(args.run_dir, items_per_mailbox=60)
    cluster.start()
    try:
        run = run_plan(cluster, plan)
    finally:
        cluster.stop()
    print_table(run)
    met = write_report(run)
    print(f"chaos run took {time.monotonic() - started:.0f}s; logs in {args.run_dir}/logs")
    return 0 if run.ok and met else 1


if __name__ == "__main__":
    sys.exit(main())
