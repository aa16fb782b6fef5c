"""A capture process killed (SIGKILL) in the middle of a backfill and started again loses nothing and
duplicates nothing downstream: the real scoring service ends with exactly one row per activity the
emulator's ground truth says must be captured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from plumbing.embedded.process import free_port, spawn, terminate
from services.capture.adapters.secret_box import new_key
from services.capture.domain.window import calendar_window
from services.emulators.microsoft.emulator import MicrosoftEmulator
from services.scoring.app import running_scoring
from tests.conftest import eventually
from tests.integration.capture.harness import (
    DOMAIN,
    TENANT,
    admin_client,
    expected_ids,
    org_spec,
    register,
    running_emulator,
    statuses,
    tailing,
)
from tests.integration.conftest import Isolated
from tests.integration.platform import scoring_settings

pytestmark = pytest.mark.integration
MAILBOXES = [f"rep{i:04d}@{DOMAIN}" for i in range(1, 5)]
PAGE_SIZE = 2


@pytest.fixture(scope="module")
async def emulator(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MicrosoftEmulator]:
    async with running_emulator(
        Path(tmp_path_factory.mktemp("ms-restart")), org_spec(4, messages=24, events=6)
    ) as emu:
        emu.set_latency(0.03)  # a network round trip, so the backfill takes long enough to interrupt
        yield emu


def capture_env(
    isolated: Isolated, emulator: MicrosoftEmulator, *, key: str, grpc_port: int
) -> dict[str, str]:
    return {
        **os.environ,
        **isolated.env(),
        "LOG_LEVEL": "WARNING",
        "GT_CAPTURE_HOST": "127.0.0.1",
        "GT_CAPTURE_GRPC_PORT": str(grpc_port),
        "GT_CAPTURE_HTTP_PORT": str(free_port()),
        "GT_CAPTURE_SECRET_KEYS": key,
        "GT_CAPTURE_MICROSOFT_AUTHORITY_BASE": emulator.authority_base,
        "GT_CAPTURE_MICROSOFT_GRAPH_BASE_URL": emulator.graph_base_url,
        "GT_CAPTURE_MICROSOFT_CA_BUNDLE": str(emulator.tls.ca_path),
        "GT_CAPTURE_MICROSOFT_PAGE_SIZE": str(PAGE_SIZE),
        "GT_CAPTURE_POLL_INTERVAL_SEC": "600",
    }


def start_capture(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return spawn(
        [sys.executable, "-m", "services.capture"], log_path=log, env=env, death_signal=signal.SIGKILL
    )


async def grpc_serving(port: int) -> bool:
    import grpc

    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            answer = await health_pb2_grpc.HealthStub(channel).Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=""), timeout=1
            )
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.aio.AioRpcError:
        return False


async def scoring_rows(database_url: str, tenant: str = TENANT) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch("SELECT id, is_deletion FROM scoring.activities WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()


async def test_sigkill_mid_backfill_loses_nothing_and_duplicates_nothing(
    isolated: Isolated, emulator: MicrosoftEmulator, tmp_path: Path
) -> None:
    window = calendar_window(datetime.now(UTC), days_back=30, days_ahead=90, step_days=7)
    expected = set().union(*(expected_ids(emulator, m, window) for m in MAILBOXES))
    key = new_key()
    grpc_port = free_port()
    env = capture_env(isolated, emulator, key=key, grpc_port=grpc_port)
    topic = isolated.topics.activity_captured
    async with (
        tailing(isolated.bootstrap_servers, topic) as tail,
        running_scoring(scoring_settings(isolated, group="scoring-restart")),
    ):
        first = start_capture(env, tmp_path / "capture-1.log")
        try:
            await eventually(lambda: grpc_serving(grpc_port), timeout_sec=90, interval_sec=0.1)
            async with admin_client(grpc_port) as admin:
                await register(admin, emulator, MAILBOXES)

            async def partway() -> bool:
                return len(tail.records) >= len(expected) // 3

            await eventually(partway, timeout_sec=30, interval_sec=0.01)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        before_crash = {r.activity.id for r in tail.records}
        assert 0 < len(before_crash) < len(expected), "the crash did not land in the middle of the backfill"

        second = start_capture(env, tmp_path / "capture-2.log")
        try:

            async def complete() -> bool:
                rows = await scoring_rows(isolated.database_url)
                return {r["id"] for r in rows} == expected

            await eventually(complete, timeout_sec=60, interval_sec=0.2)
            async with admin_client(grpc_port) as admin:
                assert {s.state for s in (await statuses(admin)).values()} == {"idle"}
        finally:
            terminate(second, timeout_sec=15)

    rows = await scoring_rows(isolated.database_url)
    assert len(rows) == len(expected) == len({r["id"] for r in rows})
    assert not any(r["is_deletion"] for r in rows)
    published = [r.activity.id for r in tail.records]
    republished = len(published) - len(set(published))
    bound = len(MAILBOXES) * 3 * PAGE_SIZE  # at most the page in flight of every stream
    print(
        f"restart mid-backfill: {len(before_crash)} of {len(expected)} activities published before SIGKILL; "
        f"{republished} records published again after the restart (bound {bound}); "
        f"{len(rows)} rows in scoring for {len(expected)} expected"
    )
    assert republished <= bound
