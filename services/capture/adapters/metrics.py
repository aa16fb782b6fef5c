"""Prometheus metrics of capture, per tenant and process-wide: never per mailbox.

A mailbox is a person's e-mail address, and metrics leave the service unauthenticated (a scraper, a
dashboard, a metrics vendor), so no label carries an address or a name. Labels are the tenant id, the
sync state, the fault kind, the stream. Per-mailbox detail (state, last success, last error, lag,
items captured) stays in the authenticated admin API (`GetSyncStatus`, `GET /v1/admin/sync-status`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.capture.domain.reconcile import PagePlan
from services.capture.domain.status import FaultKind, MailboxStatus, SyncState
from services.capture.ports import MailboxRef

_TENANT = ["tenant"]
ITEMS_CAPTURED = Counter(
    "gt_capture_items_captured_total",
    "Activities published for the tenant's mailboxes (acknowledged)",
    _TENANT,
)
ERRORS = Counter(
    "gt_capture_sync_errors_total", "Failed mailbox sync passes by fault kind", [*_TENANT, "kind"]
)
THROTTLES = Counter("gt_capture_throttles_total", "Throttling answers honoured", _TENANT)
RESYNCS = Counter(
    "gt_capture_resyncs_total", "Streams resynced after an expired cursor", [*_TENANT, "stream"]
)
THROTTLE_WAIT = Histogram(
    "gt_capture_throttle_wait_seconds",
    "Pauses imposed by Retry-After or backoff",
    buckets=(0.1, 0.5, 1, 2, 5, 15, 60, 300),
)
DROPPED = Counter("gt_capture_items_dropped_total", "Items the privacy filter kept out of Kafka", ["reason"])
UNCHANGED = Counter("gt_capture_items_unchanged_total", "Re-delivered items whose content had not changed")
RETRACTED = Counter("gt_capture_items_retracted_total", "Deletion markers published for published items")
REJECTED = Counter(
    "gt_capture_items_rejected_total",
    "Provider items quarantined (unreadable or absurd) instead of published, by reason",
    [*_TENANT, "reason"],
)
PAGES = Counter("gt_capture_pages_total", "Provider pages processed and committed")
SUBSCRIPTION_CHANGES = Counter(
    "gt_capture_subscription_changes_total", "Push subscriptions created, renewed or failed", ["action"]
)


class MailboxCounters:
    """`MailboxMetrics` (ports/metrics.py) in Prometheus: what one mailbox's sync adds to its tenant's
    series; the mailbox itself is never a label."""

    def __init__(self, mailbox: MailboxRef) -> None:
        self._tenant = mailbox.tenant_id

    def observe(self, status: MailboxStatus) -> None:
        """States and lag are read from the engine at scrape time (`MailboxCollector`)."""
        del status

    def page(self, plan: PagePlan) -> None:
        PAGES.inc()
        if plan.publish:
            ITEMS_CAPTURED.labels(self._tenant).inc(len(plan.publish))
        for reason, count in plan.dropped.items():
            DROPPED.labels(reason.value).inc(count)
        if plan.unchanged:
            UNCHANGED.inc(plan.unchanged)
        if plan.retracted:
            RETRACTED.inc(plan.retracted)
        for rejected in plan.rejected:
            REJECTED.labels(self._tenant, rejected.reason.value).inc()

    def throttled(self, wait_sec: float) -> None:
        THROTTLES.labels(self._tenant).inc()
        THROTTLE_WAIT.observe(wait_sec)

    def resynced(self, stream: str) -> None:
        RESYNCS.labels(self._tenant, stream).inc()

    def failed(self, kind: FaultKind) -> None:
        ERRORS.labels(self._tenant, kind.value).inc()

    def subscription_changed(self, action: str) -> None:
        SUBSCRIPTION_CHANGES.labels(action).inc()

    def remove(self) -> None:
        """Nothing per mailbox to forget: the tenant's series count every mailbox it had."""


StatusSource = Callable[[], Iterable[tuple[MailboxRef, MailboxStatus]]]


class MailboxCollector(Collector):
    """Per tenant, computed at scrape time from the engines' mailbox statuses:
    `gt_capture_mailboxes{tenant,state}` (how many mailboxes are in each state),
    `gt_capture_mailbox_lag_seconds_max{tenant}` (the most behind mailbox; grows between passes) and
    `gt_capture_mailbox_last_success_oldest_timestamp_seconds{tenant}`.

    One collector per process, fed by every running engine (tests run several in one process).
    """

    def __init__(self) -> None:
        self.sources: list[StatusSource] = []

    def collect(self) -> Iterator[Metric]:
        counts = GaugeMetricFamily(
            "gt_capture_mailboxes", "Mailboxes by sync state", labels=[*_TENANT, "state"]
        )
        lag = GaugeMetricFamily(
            "gt_capture_mailbox_lag_seconds_max",
            "Seconds since the tenant's most behind mailbox was last completely caught up",
            labels=_TENANT,
        )
        oldest = GaugeMetricFamily(
            "gt_capture_mailbox_last_success_oldest_timestamp_seconds",
            "The oldest 'last pass that caught up every stream' among the tenant's mailboxes",
            labels=_TENANT,
        )
        now = datetime.now(UTC)
        states: dict[tuple[str, str], int] = {}
        lags: dict[str, float] = {}
        successes: dict[str, float] = {}
        for source in list(self.sources):
            for mailbox, status in source():
                tenant = mailbox.tenant_id
                for state in SyncState:
                    states.setdefault((tenant, state.value), 0)
                states[(tenant, status.state.value)] += 1
                seconds = status.lag_seconds(now)
                if seconds is not None:
                    lags[tenant] = max(lags.get(tenant, 0.0), seconds)
                if status.last_success_at is not None:
                    at = status.last_success_at.timestamp()
                    successes[tenant] = min(successes.get(tenant, at), at)
        for (tenant, state_name), count in sorted(states.items()):
            counts.add_metric([tenant, state_name], count)
        for tenant, seconds in sorted(lags.items()):
            lag.add_metric([tenant], seconds)
        for tenant, at in sorted(successes.items()):
            oldest.add_metric([tenant], at)
        yield counts
        yield lag
        yield oldest


_MAILBOXES = MailboxCollector()
REGISTRY.register(_MAILBOXES)


def register_lag_source(source: StatusSource) -> Callable[[], None]:
    """Export the states and lag of `source`'s mailboxes; returns the function that stops it."""
    _MAILBOXES.sources.append(source)
    return lambda: _MAILBOXES.sources.remove(source)
