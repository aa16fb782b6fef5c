"""Prometheus metrics of capture: per mailbox (labelled tenant, mailbox) and process-wide."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.capture.domain.reconcile import PagePlan
from services.capture.domain.status import FaultKind, MailboxStatus, SyncState
from services.capture.ports import MailboxRef

_MAILBOX = ["tenant", "mailbox"]
ITEMS_CAPTURED = Counter(
    "gt_capture_mailbox_items_captured_total", "Activities published for the mailbox (acknowledged)", _MAILBOX
)
ERRORS = Counter("gt_capture_mailbox_errors_total", "Failed sync passes by fault kind", [*_MAILBOX, "kind"])
THROTTLES = Counter("gt_capture_mailbox_throttles_total", "Throttling answers honoured", _MAILBOX)
RESYNCS = Counter(
    "gt_capture_mailbox_resyncs_total", "Streams resynced after an expired cursor", [*_MAILBOX, "stream"]
)
LAST_SUCCESS = Gauge(
    "gt_capture_mailbox_last_success_timestamp_seconds",
    "End of the last pass that caught up every stream",
    _MAILBOX,
)
STATE = Gauge("gt_capture_mailbox_state", "1 for the mailbox's current sync state", [*_MAILBOX, "state"])
THROTTLE_WAIT = Histogram(
    "gt_capture_throttle_wait_seconds",
    "Pauses imposed by Retry-After or backoff",
    buckets=(0.1, 0.5, 1, 2, 5, 15, 60, 300),
)
DROPPED = Counter("gt_capture_items_dropped_total", "Items the privacy filter kept out of Kafka", ["reason"])
UNCHANGED = Counter("gt_capture_items_unchanged_total", "Re-delivered items whose content had not changed")
RETRACTED = Counter("gt_capture_items_retracted_total", "Deletion markers published for published items")
PAGES = Counter("gt_capture_pages_total", "Provider pages processed and committed")
SUBSCRIPTION_CHANGES = Counter(
    "gt_capture_subscription_changes_total", "Push subscriptions created, renewed or failed", ["action"]
)


class MailboxCounters:
    """`MailboxMetrics` (ports/metrics.py) in Prometheus: the per-mailbox series of one mailbox and
    its share of the process-wide ones; `remove()` when the mailbox stops being captured."""

    def __init__(self, mailbox: MailboxRef) -> None:
        self._labels = (mailbox.tenant_id, mailbox.address)

    def observe(self, status: MailboxStatus) -> None:
        for state in SyncState:
            STATE.labels(*self._labels, state.value).set(1 if status.state is state else 0)
        if status.last_success_at is not None:
            LAST_SUCCESS.labels(*self._labels).set(status.last_success_at.timestamp())

    def page(self, plan: PagePlan) -> None:
        PAGES.inc()
        if plan.publish:
            ITEMS_CAPTURED.labels(*self._labels).inc(len(plan.publish))
        for reason, count in plan.dropped.items():
            DROPPED.labels(reason.value).inc(count)
        if plan.unchanged:
            UNCHANGED.inc(plan.unchanged)
        if plan.retracted:
            RETRACTED.inc(plan.retracted)

    def throttled(self, wait_sec: float) -> None:
        THROTTLES.labels(*self._labels).inc()
        THROTTLE_WAIT.observe(wait_sec)

    def resynced(self, stream: str) -> None:
        RESYNCS.labels(*self._labels, stream).inc()

    def failed(self, kind: FaultKind) -> None:
        ERRORS.labels(*self._labels, kind.value).inc()

    def subscription_changed(self, action: str) -> None:
        SUBSCRIPTION_CHANGES.labels(action).inc()

    def remove(self) -> None:
        for metric in (ITEMS_CAPTURED, THROTTLES, LAST_SUCCESS):
            _quietly_remove(metric, *self._labels)
        for state in SyncState:
            _quietly_remove(STATE, *self._labels, state.value)
        for kind in FaultKind:
            _quietly_remove(ERRORS, *self._labels, kind.value)


def _quietly_remove(metric: Counter | Gauge, *labels: str) -> None:
    with contextlib.suppress(KeyError):
        metric.remove(*labels)


StatusSource = Callable[[], Iterable[tuple[MailboxRef, MailboxStatus]]]


class LagCollector(Collector):
    """`gt_capture_mailbox_lag_seconds`, computed at scrape time so it grows between passes.

    One collector per process, fed by every running engine (tests run several in one process).
    """

    def __init__(self) -> None:
        self.sources: list[StatusSource] = []

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "gt_capture_mailbox_lag_seconds",
            "Seconds since the mailbox was last known to be completely caught up",
            labels=_MAILBOX,
        )
        now = datetime.now(UTC)
        for source in list(self.sources):
            for mailbox, status in source():
                lag = status.lag_seconds(now)
                if lag is not None:
                    family.add_metric([mailbox.tenant_id, mailbox.address], lag)
        yield family


_LAG = LagCollector()
REGISTRY.register(_LAG)


def register_lag_source(source: StatusSource) -> Callable[[], None]:
    """Export the lag of `source`'s mailboxes; returns the function that stops it."""
    _LAG.sources.append(source)
    return lambda: _LAG.sources.remove(source)
