"""Capture's health in scoring, on the real PostgreSQL and broker: the latest report per mailbox kept
idempotently, reps marked for rescoring only when what a reader sees changes (not on a heartbeat),
capture's silence noticed once, tombstones forgotten; poison records dead-lettered with a reason and
offsets committed after the database commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer

from groundtruth.capture.v1 import health_pb2
from plumbing.db.pool import Pool
from plumbing.kafka.producer import create_producer
from plumbing.kafka.records import header, protobuf_headers
from services.scoring.adapters.pg_capture_health import PostgresCaptureHealthStore
from services.scoring.adapters.pg_erasure import erase_rep
from services.scoring.app import running_scoring
from services.scoring.domain.capture_reports import CaptureReport, MailboxForgotten, MailboxHealthUpdate
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import committed_through_end, scoring_settings
from tests.integration.scoring.conftest import empty_scoring_tables

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(scoring_pool: Pool) -> AsyncIterator[PostgresCaptureHealthStore]:
    await empty_scoring_tables(scoring_pool)
    yield PostgresCaptureHealthStore(scoring_pool)


def update(
    state: str, *, at: datetime, since: datetime = T0, rep: str = "dana", rejected: int = 0
) -> MailboxHealthUpdate:
    report = CaptureReport(state, f"why {state}", since, at, items_rejected=rejected)
    return MailboxHealthUpdate("acme", "k1", rep, report)


async def dirty(pool: Pool) -> set[str]:
    rows = await pool.fetch("SELECT rep_id FROM dirty_reps WHERE tenant_id = 'acme'")
    await pool.execute("DELETE FROM dirty_reps")
    return {r["rep_id"] for r in rows}


async def stored(pool: Pool) -> tuple[str, datetime, datetime] | None:
    row = await pool.fetchrow("SELECT state, since, reported_at FROM mailbox_health WHERE mailbox_key = 'k1'")
    return None if row is None else (row["state"], row["since"], row["reported_at"])


async def test_latest_report_kept_and_reps_marked_only_on_change(
    store: PostgresCaptureHealthStore, scoring_pool: Pool
) -> None:
    await store.apply([update("ok", at=T0)])
    assert await dirty(scoring_pool) == {"dana"}
    heartbeat = T0 + timedelta(minutes=2)
    await store.apply([update("ok", at=heartbeat)])
    assert await stored(scoring_pool) == ("ok", T0, heartbeat)
    assert await dirty(scoring_pool) == set()  # a heartbeat changes nothing a reader sees
    revoked = T0 + timedelta(minutes=3)
    await store.apply([update("revoked", at=revoked, since=revoked)])
    assert await dirty(scoring_pool) == {"dana"}
    await store.apply([update("ok", at=T0 + timedelta(minutes=1))])  # a replay of an older record
    assert await stored(scoring_pool) == ("revoked", revoked, revoked)
    assert await dirty(scoring_pool) == set()
    await store.apply([update("revoked", at=revoked + timedelta(minutes=1), since=revoked, rep="eve")])
    assert await dirty(scoring_pool) == {"dana", "eve"}  # reassigned: both reps change


async def rescore_requested(pool: Pool) -> bool:
    requested = await pool.fetchval("SELECT count(*) FROM rescore_requests WHERE tenant_id = 'acme'")
    await pool.execute("DELETE FROM rescore_requests")
    return bool(requested)


async def test_broken_or_silent_mailboxes_ask_for_a_tenant_rescore_at_once(
    store: PostgresCaptureHealthStore, scoring_pool: Pool
) -> None:
    # The diagnostics name broken and silent mailboxes: they follow such changes at once, while a
    # working mailbox's moves (syncing -> ok) only rescore its rep.
    await store.apply([update("syncing", at=T0)])
    assert not await rescore_requested(scoring_pool)
    await store.apply([update("ok", at=T0 + timedelta(minutes=1))])
    assert not await rescore_requested(scoring_pool)
    await store.apply([update("revoked", at=T0 + timedelta(minutes=2))])
    assert await rescore_requested(scoring_pool)
    await store.apply([update("revoked", at=T0 + timedelta(minutes=3))])  # a heartbeat
    assert not await rescore_requested(scoring_pool)
    await store.apply([update("ok", at=T0 + timedelta(minutes=4))])  # healed: the diagnostic goes
    assert await rescore_requested(scoring_pool)
    assert await store.note_silent(reported_before=T0 + timedelta(minutes=30)) == 1
    assert await rescore_requested(scoring_pool)
    await store.apply([update("ok", at=T0 + timedelta(minutes=31))])  # heard from again
    assert await rescore_requested(scoring_pool)
    await store.apply([update("failing", at=T0 + timedelta(minutes=32))])
    await rescore_requested(scoring_pool)
    await store.apply([MailboxForgotten("acme", "k1")])
    assert await rescore_requested(scoring_pool)


async def test_a_new_count_of_rejected_items_marks_the_rep(
    store: PostgresCaptureHealthStore, scoring_pool: Pool
) -> None:
    # The count shows with the score (and is part of its content hash): a heartbeat carrying a new
    # count, state unchanged, must reach the stored score, or a full rescore would disagree with it.
    await store.apply([update("ok", at=T0)])
    await dirty(scoring_pool)
    await store.apply([update("ok", at=T0 + timedelta(minutes=1), rejected=3)])
    assert await dirty(scoring_pool) == {"dana"}
    await store.apply([update("ok", at=T0 + timedelta(minutes=2), rejected=3)])
    assert await dirty(scoring_pool) == set()


async def test_capture_silence_is_noticed_once_and_a_tombstone_forgets(
    store: PostgresCaptureHealthStore, scoring_pool: Pool
) -> None:
    await store.apply([update("ok", at=T0)])
    await dirty(scoring_pool)
    assert await store.note_silent(reported_before=T0 + timedelta(minutes=16)) == 1
    assert await dirty(scoring_pool) == {"dana"}
    assert await store.note_silent(reported_before=T0 + timedelta(minutes=30)) == 0
    await store.apply([update("ok", at=T0 + timedelta(minutes=31))])  # heard from again
    assert await dirty(scoring_pool) == {"dana"}
    await store.apply([MailboxForgotten("acme", "k1")])
    assert await stored(scoring_pool) is None
    assert await dirty(scoring_pool) == {"dana"}
    await store.apply([MailboxForgotten("acme", "k1")])  # a replayed tombstone
    assert await dirty(scoring_pool) == set()


def _record(rep: str) -> health_pb2.MailboxHealth:
    now = datetime.now(UTC)
    message = health_pb2.MailboxHealth(
        event_id="e", tenant_id="acme", mailbox_key=f"key-{rep}", rep_id=rep, provider="google",
        state="stale",
        reason="a chain made no progress or a pass ran past its deadline",
    )  # fmt: skip
    message.since.FromDatetime(now)
    message.observed_at.FromDatetime(now)
    return message


async def test_the_consumer_dead_letters_poison_and_commits_after_the_database(isolated: Isolated) -> None:
    settings = scoring_settings(isolated, group=f"scoring-health-{isolated.namespace}")
    topic = isolated.topics.capture_health
    producer = create_producer(isolated.bootstrap_servers, enable_idempotence=False, client_id="test")
    await producer.start()
    try:
        good = _record("rep-good")
        headers = protobuf_headers(good)
        await producer.send_and_wait(topic, b"\x08\xff\xff", key=b"acme:key-bad", headers=headers)
        await producer.send_and_wait(
            topic, _record("").SerializeToString(), key=b"acme:key-", headers=headers
        )
        await producer.send_and_wait(
            topic, good.SerializeToString(), key=b"acme:key-rep-good", headers=headers
        )
    finally:
        await producer.stop()
    group = f"{settings.consumer_group}-capture-health"
    async with running_scoring(settings) as scoring:
        pool = scoring.rescore._store._pool  # type: ignore[attr-defined]

        async def kept() -> bool:
            state = await pool.fetchval("SELECT state FROM mailbox_health WHERE rep_id = 'rep-good'")
            return bool(state == "stale") and await committed_through_end(
                isolated.bootstrap_servers, group, topic
            )

        await eventually(kept, timeout_sec=30)
    letters = AIOKafkaConsumer(
        isolated.topics.deadletter, bootstrap_servers=isolated.bootstrap_servers, auto_offset_reset="earliest"
    )
    await letters.start()
    try:
        batches = await letters.getmany(timeout_ms=5000)
    finally:
        await letters.stop()
    reasons = sorted(
        (header(r.headers, "dlq.error") or b"").decode()
        for batch in batches.values()
        for r in batch
        if header(r.headers, "dlq.consumer.group") == group.encode()
    )
    assert len(reasons) == 2, reasons
    assert reasons[0].startswith("not a protobuf MailboxHealth"), reasons
    assert reasons[1] == "rep_id is empty", reasons


async def test_erasure_forgets_capture_word_and_refuses_older_reports(
    store: PostgresCaptureHealthStore, scoring_pool: Pool
) -> None:
    await store.apply([update("revoked", at=T0)])
    await erase_rep(scoring_pool, "acme", "dana")
    assert await stored(scoring_pool) is None
    await store.apply([update("revoked", at=T0 + timedelta(minutes=1))])  # produced before the erasure
    assert await stored(scoring_pool) is None
    assert await dirty(scoring_pool) == set()
