"""`python -m tests.bench.capture.plan [--pages 400]`: CPU per item of capture's pure page work.

What `plan_page` does for each item of a backfill page (quarantine checks, privacy filter,
normalization, content hash, the bytes to publish, what to remember) on pages of 100 new e-mails and
100 new meetings at the metadata level, in this process alone: no I/O, so the figure moves only with
the code, not with what else runs on the machine (the best of 5 repeats is reported). It isolates
the domain's share of `make bench-capture`'s capture CPU per item.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from services.capture.domain.items import ItemSeen
from services.capture.domain.privacy import CapturePolicy, DomainSet
from services.capture.domain.reconcile import plan_page
from tests.unit.capture.builders import T0, WHO, email, meeting

POLICY = CapturePolicy(internal_domains=DomainSet.of(["acme.example"]))


def _pages(count: int) -> list[list[ItemSeen]]:
    people = ("buyer@customer.example", "cfo@customer.example", "ops@acme.example")
    return [
        [ItemSeen(email(f"m{p}-{i}", cc=people[: i % 3])) for i in range(100)]
        + [ItemSeen(meeting(f"e{p}-{i}", attendees=people[: 1 + i % 3])) for i in range(100)]
        for p in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    pages = _pages(args.pages)
    items = sum(len(p) for p in pages)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for page in pages:
            plan_page(page, known={}, stream="s", policy=POLICY, who=WHO, observed_at=T0 + timedelta(1))
        best = min(best, time.process_time() - started)
    print(f"plan_page: {best / items * 1e6:.2f} us CPU per item ({items} items, best of 5)")


if __name__ == "__main__":
    main()
