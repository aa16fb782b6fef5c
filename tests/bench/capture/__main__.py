"""`python -m tests.bench.capture [--provider microsoft|google] [--mailboxes 200] [--items 200]`
(every provider when none is named)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from tests.bench.capture.google import GoogleBench
from tests.bench.capture.microsoft import MicrosoftBench
from tests.bench.capture.run import BenchProvider, run

PROVIDERS: dict[str, type[BenchProvider]] = {"microsoft": MicrosoftBench, "google": GoogleBench}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.capture", description=__doc__)
    parser.add_argument("--provider", choices=sorted(PROVIDERS), action="append")
    parser.add_argument("--mailboxes", type=int, default=200)
    parser.add_argument("--items", type=int, default=200, help="items per mailbox")
    parser.add_argument("--samples", type=int, default=40, help="webhook latency samples")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="pages in flight (capture and raw client)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of capture and of the fair client")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ok = True
    for name in args.provider or list(PROVIDERS):
        ok &= asyncio.run(
            run(
                PROVIDERS[name](),
                mailboxes=args.mailboxes,
                items=args.items,
                samples=args.samples,
                concurrency=args.concurrency,
                rounds=args.rounds,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
