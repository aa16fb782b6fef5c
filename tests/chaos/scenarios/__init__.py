"""The fault scenarios. Each injects its faults while the workload runs and returns what it did
(`Injected`); `runner.py` then measures how long the platform takes to hold the ground truth again
and compares."""

from tests.chaos.scenarios.broker_kills import (
    broker_kill_mid_backfill,
    broker_kill_mid_crm_burst,
    broker_kill_mid_ingest,
)
from tests.chaos.scenarios.common import Injected, Scenario
from tests.chaos.scenarios.infrastructure import broker_pause, cold_start_without_postgres, postgres_restart
from tests.chaos.scenarios.inputs import (
    malformed_requests,
    poison_item,
    poison_records,
    provider_expired_cursors,
    provider_revoked,
    provider_throttle,
    stalled_chain,
)
from tests.chaos.scenarios.kills import (
    capture_kill_mid_backfill,
    capture_kill_mid_incremental,
    capture_kill_mid_resync,
    scoring_kill,
)

__all__ = [
    "Injected",
    "Scenario",
    "broker_kill_mid_backfill",
    "broker_kill_mid_crm_burst",
    "broker_kill_mid_ingest",
    "broker_pause",
    "capture_kill_mid_backfill",
    "capture_kill_mid_incremental",
    "capture_kill_mid_resync",
    "cold_start_without_postgres",
    "malformed_requests",
    "poison_item",
    "poison_records",
    "postgres_restart",
    "provider_expired_cursors",
    "provider_revoked",
    "provider_throttle",
    "scoring_kill",
    "stalled_chain",
]
