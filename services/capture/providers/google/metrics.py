"""Google per-user quota use as Prometheus gauges, computed at scrape time from the `QuotaTracker`s,
aggregated so that no label names a mailbox (an address is personal data; per-mailbox detail stays
in the authenticated admin API):

`gt_capture_google_quota_used_ratio_max{api}`: the highest share of Google's documented per-user
limit (15,000 Gmail units, 600 Calendar requests a minute) any mailbox spent in the last minute;
`gt_capture_google_quota_mailboxes_near_limit{api}`: how many mailboxes spent 80 % of it or more.
One collector per process, fed by every running connector (tests run several in one process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.capture.providers.google.quota import QuotaTracker

NEAR_LIMIT = 0.8


class QuotaCollector(Collector):
    def __init__(self) -> None:
        self.trackers: list[QuotaTracker] = []

    def collect(self) -> Iterator[Metric]:
        ratio = GaugeMetricFamily(
            "gt_capture_google_quota_used_ratio_max",
            "Highest quota share a mailbox spent in the last minute, against Google's per-user limit",
            labels=["api"],
        )
        near = GaugeMetricFamily(
            "gt_capture_google_quota_mailboxes_near_limit",
            "Mailboxes that spent 80 % or more of their per-user quota in the last minute",
            labels=["api"],
        )
        highest: dict[str, float] = {"gmail": 0.0, "calendar": 0.0}
        crowded: dict[str, int] = {"gmail": 0, "calendar": 0}
        for tracker in list(self.trackers):
            for _user, api, spent in tracker.usage():
                share = spent / tracker.limit(api)
                highest[api] = max(highest.get(api, 0.0), share)
                crowded[api] = crowded.get(api, 0) + (share >= NEAR_LIMIT)
        for api_name in sorted(highest):
            ratio.add_metric([api_name], highest[api_name])
            near.add_metric([api_name], crowded[api_name])
        yield ratio
        yield near


_COLLECTOR = QuotaCollector()
REGISTRY.register(_COLLECTOR)


def export_quota(tracker: QuotaTracker) -> Callable[[], None]:
    """Export `tracker`'s usage; returns the function that stops it."""
    _COLLECTOR.trackers.append(tracker)
    return lambda: _COLLECTOR.trackers.remove(tracker)
