from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.capture.domain.status import FaultKind, MailboxStatus, SyncState, should_resync
from tests.unit.capture.builders import T0


def test_a_pass_moves_through_the_states() -> None:
    status = MailboxStatus()
    assert status.state is SyncState.PENDING
    status = status.running(backfilling=True)
    assert status.state is SyncState.BACKFILLING
    status = status.throttled()
    assert (status.state, status.throttles) == (SyncState.THROTTLED, 1)
    status = status.captured(10).succeeded(pass_started_at=T0, finished_at=T0 + timedelta(seconds=3))
    assert status.state is SyncState.IDLE
    assert status.items_captured == 10
    assert status.lag_seconds(T0 + timedelta(seconds=60)) == 60.0
    assert status.running(backfilling=False).state is SyncState.SYNCING


def test_error_stays_visible_until_a_pass_succeeds() -> None:
    failed = MailboxStatus().failed(FaultKind.REVOKED, "invalid_client", at=T0)
    assert failed.state is SyncState.ERROR
    assert failed.last_error == "revoked: invalid_client"
    assert failed.running(backfilling=False).state is SyncState.ERROR
    assert failed.throttled().state is SyncState.ERROR
    recovered = failed.succeeded(pass_started_at=T0, finished_at=T0)
    assert recovered.state is SyncState.IDLE
    assert recovered.last_error_at == T0  # the last error stays on record


@pytest.mark.parametrize(
    ("expiries", "limit", "resync"),
    [
        pytest.param(1, 1, True, id="first expiry resyncs"),
        pytest.param(2, 1, False, id="second in a row is an error, not a loop"),
        pytest.param(2, 2, True, id="configurable bound"),
        pytest.param(3, 2, False, id="bound reached"),
    ],
)
def test_bounded_resync(expiries: int, limit: int, resync: bool) -> None:
    assert should_resync(expiries, max_resyncs_in_a_row=limit) is resync


def test_no_successful_pass_for_too_long_reads_stale_and_error_stays_error() -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    idle = MailboxStatus(state=SyncState.IDLE, last_success_at=at)
    assert idle.judged(at + timedelta(seconds=899), stale_after_sec=900).state is SyncState.IDLE
    assert idle.judged(at + timedelta(seconds=901), stale_after_sec=900).state is SyncState.STALE
    syncing = MailboxStatus(state=SyncState.SYNCING, last_success_at=at)
    assert syncing.judged(at + timedelta(hours=1), stale_after_sec=900).state is SyncState.STALE
    broken = idle.failed(FaultKind.REVOKED, "invalid_grant", at=at)
    assert broken.judged(at + timedelta(days=9), stale_after_sec=900).state is SyncState.ERROR
    stalled = idle.failed(FaultKind.STALLED, "21 empty pages in a row", at=at)
    assert stalled.state is SyncState.STALE
    assert stalled.running(backfilling=False).state is SyncState.STALE, "stale until a pass succeeds"
    assert stalled.succeeded(pass_started_at=at, finished_at=at).state is SyncState.IDLE
