"""The short chaos run inside `make test`: the platform as real processes on its own PostgreSQL and
broker, a capture SIGKILL mid-backfill, a scoring SIGKILL mid-burst (the gateway must report scoring
down and answer 503 meanwhile), a broker pause and a PostgreSQL restart (every service's /readyz must
report the dependency down, then come back), poison records on every topic, hostile Graph items among
good ones (`poison-item`: quarantined, the rest flows) and a delta chain of endless empty pages
(`stalled-chain`: the mailbox reads stale, then heals); after each, nothing lost and nothing counted
twice against the workload's ground truth. `make chaos` runs the full plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.cluster import ChaosCluster
from tests.chaos.runner import SHORT_PLAN, print_table, run_plan

pytestmark = [pytest.mark.integration, pytest.mark.chaos_short]


def test_short_chaos_run_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    cluster = ChaosCluster(tmp_path / "chaos")
    cluster.start()
    try:
        run = run_plan(cluster, SHORT_PLAN, recovery_timeout_sec=60)
    finally:
        cluster.stop()
    print_table(run)
    assert [r.name for r in run.scenarios] == [name for name, _ in SHORT_PLAN]
    for result in run.scenarios:
        assert result.lost == 0, f"{result.name}: {result.comparison.describe()}"
        assert result.duplicated == 0, f"{result.name}: {result.comparison.describe()}"
        assert result.problems == [], f"{result.name}: {result.problems}"
        assert result.events > 0
    last = run.scenarios[-1].comparison
    assert last.expected_activities > 0 and last.feed_entries == last.expected_activities
    assert last.score_mismatches == 0, "incremental scores differ from a fresh rescore"
    assert run.unexpected_exits == []
