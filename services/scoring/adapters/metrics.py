"""Prometheus series of scoring's operations (the `ScoringMetrics` port)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RELAYED = Counter("gt_scoring_relayed_total", "Records relayed to Kafka", ["topic"])
RESCORED = Counter("gt_scoring_reps_rescored_total", "Reps whose scores were recomputed", ["kind"])
RESCORE_SECONDS = Histogram("gt_scoring_rescore_seconds", "Duration of one tenant rescore", ["kind"])


class PrometheusScoringMetrics:
    def relayed(self, topic: str, records: int) -> None:
        RELAYED.labels(topic).inc(records)

    def rescored(self, kind: str, reps: int, seconds: float) -> None:
        RESCORED.labels(kind).inc(reps)
        RESCORE_SECONDS.labels(kind).observe(seconds)
