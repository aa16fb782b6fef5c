"""Every rep's latest score, materialised in memory from the compacted topic gt.scores.v1.

Scoring relays each changed score (and an erasure's tombstone) to gt.scores.v1 after its database
commit, keyed `tenant:rep`, latest wins. Each gateway replica reads the whole topic from the start
(no consumer group: every replica needs every partition) and keeps the latest value per key, so a
score read is answered from memory instead of a gRPC round trip to scoring and a database query.
That is what lets score reads scale with gateway replicas rather than with scoring.

Freshness: a score is visible here as soon as scoring's relay published it (well under a second
when idle; while scoring is busy ingesting, the relay publishes a page per interval). A rep that is
not in the view yet (a new rep, a view still catching up, a view that is full) is read from scoring
as before, so the view only ever makes reads faster, never wrong for longer than the relay lag.

Erasure: `evict` drops the rep at once and ignores further scores for it until the tombstone the
erasure publishes arrives, so an older score still in flight cannot bring an erased rep back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer
from prometheus_client import Counter, Gauge

from groundtruth.scoring.v1 import scoring_pb2
from services.gateway.ports import Cached

_log = logging.getLogger(__name__)
ENTRIES = Gauge("gt_gateway_score_view_entries", "Rep scores held in the gateway's score view")
APPLIED = Counter(
    "gt_gateway_score_view_records_total", "gt.scores.v1 records read into the score view", ["outcome"]
)

Key = tuple[str, str]


def parse_key(raw: bytes | None) -> Key | None:
    """`tenant:rep` → (tenant, rep); tenant ids never contain ':' (rep ids may)."""
    if not raw:
        return None
    tenant, sep, rep = raw.decode("utf-8", "replace").partition(":")
    return (tenant, rep) if sep and tenant and rep else None


class ScoreTable:
    """The latest score bytes per rep, parsed lazily and kept parsed for later reads (pure, no I/O)."""

    def __init__(self, *, max_entries: int) -> None:
        self._max = max_entries
        self._raw: dict[Key, bytes] = {}
        self._parsed: dict[Key, Cached[scoring_pb2.RepScore]] = {}
        self._erased: set[Key] = set()

    def __len__(self) -> int:
        return len(self._raw)

    def apply(self, key: Key, value: bytes | None) -> str:
        """Apply one record in topic order; returns what happened (for metrics)."""
        self._parsed.pop(key, None)
        if value is None:
            self._raw.pop(key, None)
            self._erased.discard(key)
            return "tombstone"
        if key in self._erased:
            return "erased"
        if key not in self._raw and len(self._raw) >= self._max:
            return "full"
        self._raw[key] = value
        return "stored"

    def get(self, key: Key) -> Cached[scoring_pb2.RepScore] | None:
        cached = self._parsed.get(key)
        if cached is not None:
            return cached
        raw = self._raw.get(key)
        if raw is None:
            return None
        score = scoring_pb2.RepScore.FromString(raw)
        if (score.tenant_id, score.rep_id) != key:
            return None  # a record whose key and payload disagree is never served
        cached = self._parsed[key] = Cached(score)
        return cached

    def evict(self, key: Key) -> None:
        self._raw.pop(key, None)
        self._parsed.pop(key, None)
        self._erased.add(key)


class ScoreView:
    """The table above, fed by a consumer of gt.scores.v1 running in the gateway's event loop."""

    def __init__(self, bootstrap_servers: str, topic: str, *, max_entries: int) -> None:
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self.table = ScoreTable(max_entries=max_entries)

    def get(self, tenant_id: str, rep_id: str) -> Cached[scoring_pb2.RepScore] | None:
        return self.table.get((tenant_id, rep_id))

    def evict(self, tenant_id: str, rep_id: str) -> None:
        self.table.evict((tenant_id, rep_id))

    async def run(self) -> None:
        """Follow the topic until cancelled; a broker outage is retried (reads fall back meanwhile)."""
        while True:
            try:
                await self._follow()
            except Exception as exc:
                _log.warning("score view consumer failed, restarting", extra={"error": repr(exc)})
                await asyncio.sleep(2.0)

    async def _follow(self) -> None:
        consumer = AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=self._bootstrap,
            group_id=None,  # every replica reads every partition from the beginning
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id="gateway-score-view",
        )
        await consumer.start()
        try:
            while True:
                batches: dict[Any, list[Any]] = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batches.values():
                    for record in records:
                        key = parse_key(record.key)
                        outcome = self.table.apply(key, record.value) if key else "invalid"
                        APPLIED.labels(outcome).inc()
                ENTRIES.set(len(self.table))
        finally:
            await consumer.stop()
