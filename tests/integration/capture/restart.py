"""A capture process SIGKILLed in the middle of its backfill and started again, with the real scoring
service downstream: shared by the Microsoft 365 and Google Workspace restart tests."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from groundtruth.capture.v1 import capture_pb2_grpc
from plumbing.embedded.process import spawn, terminate
from plumbing.tls import MeshTls
from services.scoring.app import running_scoring
from tests.conftest import eventually
from tests.integration.capture.harness import admin_client, statuses, tailing
from tests.integration.conftest import Isolated
from tests.integration.platform import scoring_settings

if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    Register = Callable[[capture_pb2_grpc.CaptureAdminAsyncStub], Awaitable[None]]


@dataclass(frozen=True)
class Restarted:
    before_crash: set[str]  # activity ids on Kafka when capture was killed
    published: list[str]  # every activity id capture published, in order, repeats included
    rows: list[asyncpg.Record]  # scoring's rows for the tenant at the end


def start_capture(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return spawn(
        [sys.executable, "-m", "services.capture"], log_path=log, env=env, death_signal=signal.SIGKILL
    )


async def grpc_serving(port: int, tls: MeshTls) -> bool:
    try:
        async with tls.channel(f"127.0.0.1:{port}") as channel:
            answer = await health_pb2_grpc.HealthStub(channel).Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=""), timeout=1
            )
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.aio.AioRpcError:
        return False


async def scoring_rows(database_url: str, tenant: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch("SELECT id, is_deletion FROM scoring.activities WHERE tenant_id = $1", tenant)
    finally:
        await conn.close()


async def kill_mid_backfill_and_restart(
    isolated: Isolated,
    env: dict[str, str],
    *,
    grpc_port: int,
    register: Register,
    wanted: set[str],
    tenant: str,
    group: str,
    logs: Path,
) -> Restarted:
    """Start capture, register the mailboxes, SIGKILL it once a third of `wanted` is on Kafka, start it
    again and wait until scoring holds exactly `wanted` and every mailbox is idle."""
    async with (
        tailing(isolated.bootstrap_servers, isolated.topics.activity_captured) as tail,
        running_scoring(scoring_settings(isolated, group=group)),
    ):
        first = start_capture(env, logs / "capture-1.log")
        try:
            # Generous: a process start on a loaded 2-core machine can take long.
            await eventually(
                lambda: grpc_serving(grpc_port, isolated.client_tls), timeout_sec=90, interval_sec=0.1
            )
            async with admin_client(grpc_port, isolated.client_tls) as admin:
                await register(admin)

            async def partway() -> bool:
                return len(tail.records) >= len(wanted) // 3

            await eventually(partway, timeout_sec=30, interval_sec=0.01)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        before_crash = {r.activity.id for r in tail.records}
        assert 0 < len(before_crash) < len(wanted), "the crash did not land in the middle of the backfill"

        second = start_capture(env, logs / "capture-2.log")
        try:

            async def complete() -> bool:
                rows = await scoring_rows(isolated.database_url, tenant)
                return {r["id"] for r in rows} == wanted

            await eventually(complete, timeout_sec=60, interval_sec=0.2)
            async with admin_client(grpc_port, isolated.client_tls) as admin:
                states = {s.state for s in (await statuses(admin, tenant)).values()}
                assert states == {"idle"}, states
        finally:
            terminate(second, timeout_sec=15)
        published = [r.activity.id for r in tail.records]
    return Restarted(before_crash, published, await scoring_rows(isolated.database_url, tenant))
