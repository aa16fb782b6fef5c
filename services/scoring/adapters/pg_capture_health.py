"""`CaptureHealthStore` over asyncpg: table `scoring.mailbox_health` and the reps' dirty marks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from plumbing.db.pool import Pool
from services.scoring.domain.capture_reports import (
    BROKEN_STATES,
    HealthRecord,
    MailboxForgotten,
    MailboxHealthUpdate,
    latest_per_mailbox,
)

CURRENT = """
SELECT tenant_id, mailbox_key, rep_id, state, reason, since, items_rejected, reported_at, silence_noted
FROM mailbox_health WHERE (tenant_id, mailbox_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
"""
# A report on a rep erased after it was produced is dropped, as an activity would be.
UPSERT = """
INSERT INTO mailbox_health (tenant_id, mailbox_key, rep_id, provider, state, reason, since,
                            last_success_at, items_rejected, reported_at, silence_noted)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false
WHERE NOT EXISTS (
    SELECT 1 FROM erasures e WHERE e.tenant_id = $1 AND e.rep_id = $3 AND e.erased_at >= $10
)
ON CONFLICT (tenant_id, mailbox_key) DO UPDATE
SET rep_id = EXCLUDED.rep_id, provider = EXCLUDED.provider, state = EXCLUDED.state,
    reason = EXCLUDED.reason, since = EXCLUDED.since, last_success_at = EXCLUDED.last_success_at,
    items_rejected = EXCLUDED.items_rejected, reported_at = EXCLUDED.reported_at, silence_noted = false
WHERE mailbox_health.reported_at <= EXCLUDED.reported_at
RETURNING true
"""
FORGET = "DELETE FROM mailbox_health WHERE tenant_id = $1 AND mailbox_key = $2 RETURNING rep_id"
MARK_DIRTY = """
INSERT INTO dirty_reps (tenant_id, rep_id, mark)
SELECT t, r, nextval('dirty_marks') FROM unnest($1::text[], $2::text[]) AS k(t, r)
ON CONFLICT (tenant_id, rep_id) DO UPDATE SET mark = EXCLUDED.mark
"""
# The tenant's diagnostics name broken and silent mailboxes: such a change asks for a full rescore
# (coalesced per tenant) instead of waiting for the next periodic one.
REQUEST_RESCORE = """
INSERT INTO rescore_requests (tenant_id) SELECT DISTINCT t FROM unnest($1::text[]) AS k(t)
ON CONFLICT (tenant_id) DO UPDATE SET requested_at = now()
"""
NOTE_SILENT = """
UPDATE mailbox_health SET silence_noted = true
WHERE NOT silence_noted AND reported_at < $1
RETURNING tenant_id, rep_id
"""


class PostgresCaptureHealthStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def apply(self, records: Sequence[HealthRecord]) -> None:
        latest = latest_per_mailbox(records)
        if not latest:
            return
        dirty: set[tuple[str, str]] = set()
        diagnosed: set[str] = set()  # tenants whose diagnostics change
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(CURRENT, [r.tenant_id for r in latest], [r.mailbox_key for r in latest])
            current = {(r["tenant_id"], r["mailbox_key"]): r for r in rows}
            for record in latest:
                before = current.get((record.tenant_id, record.mailbox_key))
                if isinstance(record, MailboxForgotten):
                    rep = await conn.fetchval(FORGET, record.tenant_id, record.mailbox_key)
                    if rep is not None:
                        dirty.add((record.tenant_id, rep))
                        if _diagnosed(before):
                            diagnosed.add(record.tenant_id)
                    continue
                report = record.report
                kept = await conn.fetchval(
                    UPSERT, record.tenant_id, record.mailbox_key, record.rep_id, report.provider,
                    report.state, report.reason, report.since, report.last_success_at,
                    report.items_rejected, report.reported_at,
                )  # fmt: skip
                if not kept:
                    continue  # a replay of an older record, or a report on an erased rep
                if before is None or _changed(before, record):
                    dirty.add((record.tenant_id, record.rep_id))
                    if before is not None and before["rep_id"] != record.rep_id:
                        dirty.add((record.tenant_id, before["rep_id"]))
                    if _diagnosed(before) or report.state in BROKEN_STATES:
                        diagnosed.add(record.tenant_id)
            if dirty:
                marks = sorted(dirty)
                await conn.execute(MARK_DIRTY, [t for t, _ in marks], [r for _, r in marks])
            if diagnosed:
                await conn.execute(REQUEST_RESCORE, sorted(diagnosed))

    async def note_silent(self, *, reported_before: datetime) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(NOTE_SILENT, reported_before)
            marks = sorted({(r["tenant_id"], r["rep_id"]) for r in rows})
            if marks:
                await conn.execute(MARK_DIRTY, [t for t, _ in marks], [r for _, r in marks])
                await conn.execute(REQUEST_RESCORE, [t for t, _ in marks])
        return len(rows)


def _diagnosed(row: asyncpg.Record | None) -> bool:
    """Whether the tenant's diagnostics name this mailbox now: broken, or capture silent about it."""
    return row is not None and (row["state"] in BROKEN_STATES or bool(row["silence_noted"]))


def _changed(row: asyncpg.Record, record: MailboxHealthUpdate) -> bool:
    """Whether the reader sees something new: a heartbeat alone (a later reported_at) is not, but a
    mailbox heard from again after capture stopped reporting is, and so is a new count of rejected
    items (the score shows it, and `RepScoreResult.content_hash` covers it)."""
    report = record.report
    return bool(
        row["silence_noted"]
        or (row["rep_id"], row["state"], row["reason"], row["since"], row["items_rejected"])
        != (record.rep_id, report.state, report.reason, report.since, report.items_rejected)
    )
