"""Lag after a commit: high watermark minus committed offset, for partitions still owned."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from plumbing.kafka.lag import LagGauge
from plumbing.kafka.metrics import ConsumerMetrics
from tests.unit.plumbing.fakes import FakeMember

P0 = TopicPartition("lag-topic", 0)


@pytest.mark.parametrize(
    ("assigned", "highwater", "committed", "lag"),
    [
        pytest.param(True, 120, 100, 20.0, id="behind by 20"),
        pytest.param(True, 100, 100, 0.0, id="caught up"),
        pytest.param(True, None, 100, None, id="high watermark unknown: skipped"),
        pytest.param(False, 120, 100, None, id="no longer assigned: skipped"),
    ],
)
def test_lag(assigned: bool, highwater: int | None, committed: int, lag: float | None) -> None:
    group = f"lag-{assigned}-{highwater}"
    member = FakeMember([], highwater=highwater)
    member.assigned = {P0} if assigned else set()
    LagGauge(member, ConsumerMetrics(group)).record({P0: committed})
    labels = {"group": group, "topic": P0.topic, "partition": "0"}
    assert REGISTRY.get_sample_value("gt_consumer_lag_records", labels) == lag
