"""Run the services in-process against an `Isolated` database and topic namespace."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr

from plumbing.embedded.process import free_port
from services.capture.app import RunningCapture, running_capture
from services.capture.config import Settings as CaptureSettings
from services.gateway.app import RunningGateway, running_gateway
from services.gateway.config import Settings as GatewaySettings
from services.gateway.domain.cursors import CursorSigner, derive_cursor_key
from services.scoring.app import RunningScoring, running_scoring
from services.scoring.config import Settings as ScoringSettings
from tests.integration.conftest import Isolated
from tests.kafka_topics import partitions_of

# The API-key pepper of every gateway the tests start (a real deployment gets a secret one).
TEST_API_KEY_PEPPER = "test-pepper-not-a-secret-0123456789"
# Seals webhook signing secrets in the gateway and opens them in scoring (a test key, not a secret).
TEST_WEBHOOK_SECRET_KEYS = "TPnBbPA9mH8YMH1ejZyWfnjmfvd9BNVmPNui67jguNA="
# What those gateways sign feed cursors with (derived from the pepper: no cursor key is set).
TEST_CURSORS = CursorSigner(derive_cursor_key(TEST_API_KEY_PEPPER.encode()))


@dataclass(frozen=True)
class Platform:
    isolated: Isolated
    scoring: RunningScoring
    capture: RunningCapture
    gateway: RunningGateway
    consumer_group: str

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway.http_port}"


def scoring_settings(isolated: Isolated, *, group: str) -> ScoringSettings:
    return ScoringSettings(
        **isolated.env(),  # type: ignore[arg-type]
        host="127.0.0.1",
        grpc_port=free_port(),
        http_port=free_port(),
        consumer_group=group,
        max_batch_time_ms=50,
        webhook_secret_keys=SecretStr(TEST_WEBHOOK_SECRET_KEYS),
    )


@contextlib.asynccontextmanager
async def running_platform(
    isolated: Isolated, *, capture_overrides: Mapping[str, Any] | None = None
) -> AsyncIterator[Platform]:
    """`capture_overrides`: capture settings to add or replace (provider endpoints, intervals)."""
    group = f"scoring-{isolated.namespace}"
    scoring_config = scoring_settings(isolated, group=group)
    capture_config = CaptureSettings(
        **{
            **isolated.env(),
            "host": "127.0.0.1",
            "grpc_port": free_port(),
            "http_port": free_port(),
            **(capture_overrides or {}),
        }
    )
    async with running_scoring(scoring_config) as scoring, running_capture(capture_config) as capture:
        gateway_config = GatewaySettings(
            **isolated.env(),  # type: ignore[arg-type]
            host="127.0.0.1",
            http_port=free_port(),
            grpc_port=free_port(),
            scoring_target=f"127.0.0.1:{scoring.grpc_port}",
            capture_target=f"127.0.0.1:{capture.grpc_port}",
            api_key_pepper=SecretStr(TEST_API_KEY_PEPPER),
            webhook_secret_keys=SecretStr(TEST_WEBHOOK_SECRET_KEYS),
        )
        async with running_gateway(gateway_config) as gateway:
            yield Platform(isolated, scoring, capture, gateway, group)


async def committed_through_end(bootstrap_servers: str, group: str, topic: str) -> bool:
    """True when `group` has committed every partition of `topic` up to its end offset."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await partitions_of(bootstrap_servers, topic)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp)
            if ends[tp] > 0 and (committed or 0) < ends[tp]:
                return False
        return True
    finally:
        await consumer.stop()


async def stored_activity_ids(database_url: str, ids: Sequence[str]) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT id FROM scoring.activities WHERE id = ANY($1::text[])", list(ids))
        return [r["id"] for r in rows]
    finally:
        await conn.close()
