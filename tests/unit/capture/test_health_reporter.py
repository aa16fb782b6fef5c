"""Capture's health topic: the published states, and when a record goes out (on change, as a
heartbeat, a tombstone on removal), with `since` kept across restarts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.health import Health, HealthState, Published, health_of, mailbox_key
from services.capture.domain.status import FaultKind, MailboxStatus, SyncState
from services.capture.operations.health_reporter import HealthReporter
from services.capture.ports import MailboxRef, PublishFailed
from services.capture.ports.health import HealthReport

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
MAILBOX = MailboxRef(1, "acme", "conn", activity_pb2.PROVIDER_MICROSOFT, "dana@acme.example", "dana")
OK = MailboxStatus(state=SyncState.IDLE, last_success_at=T0 - timedelta(minutes=1))


@pytest.mark.parametrize(
    ("status", "state"),
    [
        pytest.param(MailboxStatus(), HealthState.SYNCING, id="pending"),
        pytest.param(OK, HealthState.OK, id="idle"),
        pytest.param(
            dataclasses.replace(OK, state=SyncState.THROTTLED), HealthState.OK, id="throttled after a success"
        ),
        pytest.param(
            MailboxStatus(state=SyncState.THROTTLED), HealthState.THROTTLED, id="throttled before any"
        ),
        pytest.param(
            OK.failed(FaultKind.REVOKED, "x@acme.example 401", at=T0), HealthState.REVOKED, id="revoked"
        ),
        pytest.param(
            OK.failed(FaultKind.APP_REVOKED, "invalid_client", at=T0), HealthState.APP_REVOKED, id="app"
        ),
        pytest.param(OK.failed(FaultKind.REJECTED, "404", at=T0), HealthState.REJECTED, id="rejected"),
        pytest.param(OK.failed(FaultKind.UNAVAILABLE, "503", at=T0), HealthState.FAILING, id="unavailable"),
        pytest.param(OK.failed(FaultKind.STALLED, "empty pages", at=T0), HealthState.STALE, id="stalled"),
        pytest.param(
            dataclasses.replace(OK, state=SyncState.STALE), HealthState.STALE, id="no success lately"
        ),
    ],
)
def test_statuses_become_published_states(status: MailboxStatus, state: HealthState) -> None:
    health = health_of(status, stale_after_polls=3)
    assert health.state is state
    # Fixed words, never the provider's message (it may carry an address).
    assert "@" not in health.reason and "401" not in health.reason
    assert (health.reason == "") is (state is HealthState.OK)


def test_the_mailbox_key_names_no_address() -> None:
    key = mailbox_key("acme", "microsoft", "dana@acme.example")
    assert "dana" not in key and key == mailbox_key("acme", "microsoft", "dana@acme.example")
    assert key != mailbox_key("acme", "google", "dana@acme.example")


class Publisher:
    def __init__(self) -> None:
        self.reports: list[HealthReport] = []
        self.tombstones: list[tuple[str, str]] = []
        self.down = False

    async def publish(self, reports: Sequence[HealthReport]) -> None:
        if self.down and reports:
            raise PublishFailed("broker away")
        self.reports += reports

    async def forget(self, tenant_id: str, mailbox_key: str) -> None:
        self.tombstones.append((tenant_id, mailbox_key))


class Store:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Published] = {}

    async def published(self) -> list[Published]:
        return list(self.rows.values())

    async def save(self, published: Published) -> None:
        self.rows[(published.tenant_id, published.mailbox_key)] = published

    async def delete(self, tenant_id: str, mailbox_key: str) -> None:
        del self.rows[(tenant_id, mailbox_key)]


class World:
    def __init__(self, store: Store | None = None) -> None:
        self.now = T0
        self.statuses: dict[MailboxRef, MailboxStatus] = {MAILBOX: OK}
        self.publisher = Publisher()
        self.store = store or Store()
        self.reporter = HealthReporter(
            statuses=lambda: list(self.statuses.items()),
            publisher=self.publisher,
            store=self.store,
            clock=lambda: self.now,
            stale_after_polls=3,
            heartbeat_sec=120,
        )

    def states(self) -> list[str]:
        return [r.published.health.state.value for r in self.publisher.reports]


async def test_changes_go_out_at_once_and_everything_again_as_a_heartbeat() -> None:
    world = World()
    assert await world.reporter.check() == 1  # the first round is a heartbeat
    world.now += timedelta(seconds=1)
    assert await world.reporter.check() == 0  # nothing changed, no heartbeat due
    revoked_at = world.now
    world.statuses[MAILBOX] = OK.failed(FaultKind.REVOKED, "401", at=revoked_at)
    assert await world.reporter.check() == 1
    assert world.states() == ["ok", "revoked"]
    latest = world.publisher.reports[-1]
    assert latest.published.since == revoked_at and latest.published.rep_id == "dana"
    assert latest.last_success_at == OK.last_success_at and latest.provider == "microsoft"
    world.now += timedelta(seconds=120)
    assert await world.reporter.check() == 1  # the heartbeat: same state, same since, fresh time
    beat = world.publisher.reports[-1]
    assert (beat.published.since, beat.reported_at) == (revoked_at, world.now)


async def test_since_survives_a_restart_and_a_removed_mailbox_gets_a_tombstone() -> None:
    world = World()
    world.statuses[MAILBOX] = OK.failed(FaultKind.REVOKED, "401", at=T0)
    await world.reporter.check()
    restarted = World(world.store)
    restarted.now = T0 + timedelta(hours=5)
    # The worker has not read its stored status yet: the stored word stands, since unchanged.
    restarted.statuses[MAILBOX] = MailboxStatus()
    await restarted.reporter.check()
    assert restarted.states() == ["revoked"] and restarted.publisher.reports[0].published.since == T0
    restarted.statuses[MAILBOX] = OK.failed(FaultKind.REVOKED, "401 again", at=restarted.now)
    assert await restarted.reporter.check() == 0  # same state and words: only the heartbeat repeats it
    restarted.statuses.clear()
    assert await restarted.reporter.check() == 1
    assert restarted.publisher.tombstones == [("acme", mailbox_key("acme", "microsoft", "dana@acme.example"))]
    assert restarted.store.rows == {}


async def test_a_failed_publication_is_retried_on_the_next_check() -> None:
    world = World()
    await world.reporter.check()
    world.publisher.down = True
    world.statuses[MAILBOX] = dataclasses.replace(OK, state=SyncState.STALE)
    world.now += timedelta(seconds=1)
    assert await world.reporter.check() == 0
    world.publisher.down = False
    world.now += timedelta(seconds=1)
    assert await world.reporter.check() == 1
    assert world.states() == ["ok", "stale"]
    assert world.store.rows[("acme", world.publisher.reports[-1].published.mailbox_key)].health == Health(
        HealthState.STALE, "no pass succeeded for 3 poll intervals"
    )
