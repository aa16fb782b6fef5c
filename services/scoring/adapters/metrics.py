"""Prometheus series of scoring's operations (the `ScoringMetrics` port)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RELAYED = Counter("gt_scoring_relayed_total", "Records relayed to Kafka", ["topic"])
RESCORED = Counter("gt_scoring_reps_rescored_total", "Reps whose scores were recomputed", ["kind"])
RESCORE_SECONDS = Histogram("gt_scoring_rescore_seconds", "Duration of one tenant rescore", ["kind"])
# Reported only by the relay publisher (the process with `gt_scoring_relay_leader` 1); the others
# leave it unset rather than claim a lag of zero.
RELAY_LAG = Gauge("gt_scoring_relay_lag", "Feed positions committed, not yet on the topic", ["topic"])
RELAY_LEADER = Gauge("gt_scoring_relay_leader", "1 when this process is the relay publisher")


class PrometheusScoringMetrics:
    def relayed(self, topic: str, records: int) -> None:
        RELAYED.labels(topic).inc(records)

    def rescored(self, kind: str, reps: int, seconds: float) -> None:
        RESCORED.labels(kind).inc(reps)
        RESCORE_SECONDS.labels(kind).observe(seconds)

    def relay_lag(self, topic: str, positions: int) -> None:
        RELAY_LAG.labels(topic).set(positions)

    def relay_leader(self, leading: bool) -> None:
        RELAY_LEADER.set(1 if leading else 0)
        if not leading:
            RELAY_LAG.clear()
