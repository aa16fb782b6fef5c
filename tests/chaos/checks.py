"""Stored state against the workload's ground truth: what was lost and what was counted twice.

Every figure is computed over the whole run so far, so a scenario is judged on everything the
platform holds after it, not only on what it added:

- activities: the ids scoring stores per rep against the ids the emulator's mailboxes say must be
  captured (missing: lost; unknown or deleted: duplicated), and the per-day counter `items_synced`
  summed per rep against the truth's count (over: double-counted; under: lost);
- CRM events: logins (`rep_days.logins`) and manual logs (`manual_logs` rows and the `logs_entered`
  counter) per rep against the events the gateway acknowledged;
- matching: every captured activity has a customer participant whose domain is a CRM account, so
  each must be matched;
- the write-back feed, read from the start through the gateway with a fresh subscription: each
  matched activity exactly once;
- scores: a fresh full rescore (ScoringAdmin.RescoreTenant) must change nothing the incremental
  rescoring stored.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from tests.chaos.workload import TENANT, Workload


@dataclass
class Comparison:
    """Differences from the ground truth, by what was compared."""

    lost: Counter[str] = field(default_factory=Counter)
    duplicated: Counter[str] = field(default_factory=Counter)
    expected_activities: int = 0
    feed_entries: int = 0
    score_mismatches: int = -1  # -1: not compared (the platform had not settled)

    @property
    def total_lost(self) -> int:
        return sum(self.lost.values())

    @property
    def total_duplicated(self) -> int:
        return sum(self.duplicated.values()) + max(self.score_mismatches, 0)

    @property
    def clean(self) -> bool:
        return self.total_lost == 0 and self.total_duplicated == 0

    def describe(self) -> str:
        parts = [f"lost {k}={v}" for k, v in self.lost.items() if v]
        parts += [f"duplicated {k}={v}" for k, v in self.duplicated.items() if v]
        if self.score_mismatches > 0:
            parts.append(f"scores differing from a fresh rescore={self.score_mismatches}")
        return ", ".join(parts) or "matches the ground truth"


async def compare(workload: Workload, *, include_scores: bool = False) -> Comparison:
    """One comparison of scoring's store and the gateway's feed with the ground truth."""
    expected = workload.expected_activities()
    result = Comparison(expected_activities=sum(len(v) for v in expected.values()))
    conn = await asyncpg.connect(workload.cluster.database_url, timeout=5)
    try:
        await _compare_activities(conn, expected, result)
        await _compare_crm(conn, workload, result)
    finally:
        await conn.close()
    matched_ids = await _matched_ids(workload.cluster.database_url)
    feed = await asyncio.to_thread(read_whole_feed, workload)
    feed_counts = Counter(feed)
    result.feed_entries = len(feed)
    result.lost["feed"] = len(matched_ids - set(feed))
    result.duplicated["feed"] = sum(n - 1 for n in feed_counts.values() if n > 1)
    if include_scores:
        result.score_mismatches = await rescore_differences(workload)
    return result


async def _compare_activities(
    conn: asyncpg.Connection[Any], expected: dict[str, set[str]], result: Comparison
) -> None:
    rows = await conn.fetch(
        "SELECT id, rep_id, is_deletion, account_crm_id FROM scoring.activities WHERE tenant_id = $1",
        TENANT,
    )
    stored: dict[str, set[str]] = {}
    for r in rows:
        if not r["is_deletion"]:
            stored.setdefault(r["rep_id"], set()).add(r["id"])
    wanted_all = set().union(*expected.values()) if expected else set()
    result.lost["activities"] = sum(len(ids - stored.get(rep, set())) for rep, ids in expected.items())
    result.duplicated["activities"] = sum(len(ids - expected.get(rep, set())) for rep, ids in stored.items())
    result.duplicated["deleted rows"] = sum(1 for r in rows if r["is_deletion"])
    matched = {r["id"] for r in rows if r["account_crm_id"] and not r["is_deletion"]}
    result.lost["matches"] = len(wanted_all - matched)
    synced = await conn.fetch(
        "SELECT rep_id, sum(items_synced)::bigint AS n FROM scoring.rep_days WHERE tenant_id = $1 "
        "GROUP BY rep_id",
        TENANT,
    )
    counted = {r["rep_id"]: int(r["n"]) for r in synced}
    over = under = 0
    for rep in set(expected) | set(counted):
        diff = counted.get(rep, 0) - len(expected.get(rep, set()))
        over += max(diff, 0)
        under += max(-diff, 0)
    result.duplicated["activity counters"] = over
    result.lost["activity counters"] = under


async def _compare_crm(conn: asyncpg.Connection[Any], workload: Workload, result: Comparison) -> None:
    days = await conn.fetch(
        "SELECT rep_id, sum(logins)::bigint AS logins, sum(logs_entered)::bigint AS logs "
        "FROM scoring.rep_days WHERE tenant_id = $1 GROUP BY rep_id",
        TENANT,
    )
    logs = await conn.fetch(
        "SELECT rep_id, count(*) AS n FROM scoring.manual_logs WHERE tenant_id = $1 GROUP BY rep_id", TENANT
    )
    logins = Counter({r["rep_id"]: int(r["logins"]) for r in days})
    logs_entered = Counter({r["rep_id"]: int(r["logs"]) for r in days})
    log_rows = Counter({r["rep_id"]: int(r["n"]) for r in logs})
    for name, stored, sent in (
        ("logins", logins, workload.sent.logins),
        ("manual logs", log_rows, workload.sent.manual_logs),
        ("log counters", logs_entered, workload.sent.manual_logs),
    ):
        for rep in set(stored) | set(sent):
            diff = stored[rep] - sent[rep]
            result.duplicated[name] += max(diff, 0)
            result.lost[name] += max(-diff, 0)


async def _matched_ids(database_url: str) -> set[str]:
    conn = await asyncpg.connect(database_url, timeout=5)
    try:
        rows = await conn.fetch(
            "SELECT id FROM scoring.activities WHERE tenant_id = $1 AND feed_sequence > 0", TENANT
        )
        return {r["id"] for r in rows}
    finally:
        await conn.close()


def read_whole_feed(workload: Workload) -> list[str]:
    """Every activity id of the tenant's write-back feed, from the start, as a new plugin reads it."""
    subscription = f"chaos-{uuid.uuid4().hex[:10]}"
    headers = {"Authorization": f"Bearer {workload.cluster.plugin_key}"}
    ids: list[str] = []
    cursor = ""
    with httpx.Client(timeout=15, trust_env=False) as http:
        while True:
            params = {"subscription": subscription, "page_size": "500"}
            if cursor:
                params["cursor"] = cursor
            answer = http.get(f"{workload.cluster.gateway_url}/v1/feed", params=params, headers=headers)
            answer.raise_for_status()
            page = answer.json()
            if not page["activities"]:
                return ids
            ids += [a["activity"]["id"] for a in page["activities"]]
            cursor = page["cursor"]


async def rescore_differences(workload: Workload) -> int:
    """Reps whose stored (incrementally maintained) score differs from a full rescore from scratch."""
    before = await _score_hashes(workload.cluster.database_url)
    async with workload.cluster.mesh.tls("client").channel(
        workload.cluster.grpc_target("scoring")
    ) as channel:
        admin = scoring_pb2_grpc.ScoringAdminStub(channel)
        await admin.RescoreTenant(scoring_pb2.RescoreTenantRequest(tenant_id=TENANT), timeout=60)
    after = await _score_hashes(workload.cluster.database_url)
    return sum(1 for rep in set(before) | set(after) if before.get(rep) != after.get(rep))


async def _score_hashes(database_url: str) -> dict[str, bytes]:
    conn = await asyncpg.connect(database_url, timeout=5)
    try:
        rows = await conn.fetch(
            "SELECT rep_id, content_hash FROM scoring.rep_scores WHERE tenant_id = $1", TENANT
        )
        return {r["rep_id"]: bytes(r["content_hash"]) for r in rows}
    finally:
        await conn.close()


async def settled(workload: Workload) -> bool:
    """No rep waits for a rescore, and scoring holds the health capture last published for every
    mailbox: the incremental scores are what they will be. (The runner asks twice, more than one of
    capture's health checks apart, so a state change not yet published is seen too.)"""
    conn = await asyncpg.connect(workload.cluster.database_url, timeout=5)
    try:
        dirty = await conn.fetchval(
            "SELECT count(*) FROM scoring.dirty_reps WHERE tenant_id = $1", TENANT
        ) + await conn.fetchval("SELECT count(*) FROM scoring.rescore_requests WHERE tenant_id = $1", TENANT)
        unheard = await conn.fetchval(CAPTURE_WORD_NOT_IN_SCORING, TENANT)
        return bool(dirty == 0 and unheard == 0)
    finally:
        await conn.close()


# Mailboxes whose last published health (capture's table) scoring does not hold yet, or the reverse.
CAPTURE_WORD_NOT_IN_SCORING = """
SELECT count(*) FROM capture.health_reports c
FULL JOIN (SELECT * FROM scoring.mailbox_health WHERE tenant_id = $1) s USING (tenant_id, mailbox_key)
WHERE (c.tenant_id = $1 OR c.tenant_id IS NULL)
  AND (c.state, c.reason, c.since, c.rep_id) IS DISTINCT FROM (s.state, s.reason, s.since, s.rep_id)
"""
