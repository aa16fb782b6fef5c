"""Per-user Google quota use as Prometheus gauges, computed at scrape time from the `QuotaTracker`s.

`gt_capture_google_quota_used{mailbox, api}`: Gmail units or Calendar requests the mailbox spent in
the last minute; `gt_capture_google_quota_used_ratio{mailbox, api}`: the same against Google's
documented per-user limit (15,000 units, 600 requests). One collector per process, fed by every
running connector (tests run several in one process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.capture.providers.google.quota import QuotaTracker


class QuotaCollector(Collector):
    def __init__(self) -> None:
        self.trackers: list[QuotaTracker] = []

    def collect(self) -> Iterator[Metric]:
        used = GaugeMetricFamily(
            "gt_capture_google_quota_used",
            "Gmail units / Calendar requests spent by the mailbox in the last minute",
            labels=["mailbox", "api"],
        )
        ratio = GaugeMetricFamily(
            "gt_capture_google_quota_used_ratio",
            "Quota spent in the last minute against Google's documented per-user limit",
            labels=["mailbox", "api"],
        )
        for tracker in list(self.trackers):
            for user, api, spent in tracker.usage():
                used.add_metric([user, api], spent)
                ratio.add_metric([user, api], spent / tracker.limit(api))
        yield used
        yield ratio


_COLLECTOR = QuotaCollector()
REGISTRY.register(_COLLECTOR)


def export_quota(tracker: QuotaTracker) -> Callable[[], None]:
    """Export `tracker`'s usage; returns the function that stops it."""
    _COLLECTOR.trackers.append(tracker)
    return lambda: _COLLECTOR.trackers.remove(tracker)
