"""A capture process reading Google Workspace, killed (SIGKILL) in the middle of its backfill and
started again, loses nothing and duplicates nothing downstream: the real scoring service ends with
exactly one row per activity the emulator's ground truth says must be captured."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from plumbing.embedded.process import free_port, terminate
from services.capture.adapters.secret_box import new_key
from services.emulators.google import DOMAIN, GoogleEmulator, running_google_emulator
from services.scoring.app import running_scoring
from tests.conftest import eventually
from tests.integration.capture.google_rig import TENANT, expected, register_google
from tests.integration.capture.harness import admin_client, statuses, tailing
from tests.integration.capture.test_restart_mid_backfill import grpc_serving, scoring_rows, start_capture
from tests.integration.conftest import Isolated
from tests.integration.platform import scoring_settings

pytestmark = pytest.mark.integration
MAILBOXES = [f"{u}@{DOMAIN}" for u in ("ana.reyes", "ben.okafor", "cora.lindqvist", "dev.patel")]
PAGE_SIZE = 2


@pytest.fixture(scope="module")
async def emulator() -> AsyncIterator[GoogleEmulator]:
    async with running_google_emulator() as emulator:
        emulator.world.latency_sec = 0.03  # a network round trip, so the backfill can be interrupted
        yield emulator


def capture_env(isolated: Isolated, emulator: GoogleEmulator, *, key: str, grpc_port: int) -> dict[str, str]:
    return {
        **os.environ,
        **isolated.env(),
        "LOG_LEVEL": "WARNING",
        "GT_CAPTURE_HOST": "127.0.0.1",
        "GT_CAPTURE_GRPC_PORT": str(grpc_port),
        "GT_CAPTURE_HTTP_PORT": str(free_port()),
        "GT_CAPTURE_SECRET_KEYS": key,
        "GT_CAPTURE_GOOGLE_TOKEN_URI": emulator.token_uri,
        "GT_CAPTURE_GOOGLE_GMAIL_ENDPOINT": emulator.base_url,
        "GT_CAPTURE_GOOGLE_CALENDAR_ENDPOINT": emulator.calendar_endpoint,
        "GT_CAPTURE_GOOGLE_GMAIL_PAGE_SIZE": str(PAGE_SIZE),
        "GT_CAPTURE_GOOGLE_CALENDAR_PAGE_SIZE": str(PAGE_SIZE),
        "GT_CAPTURE_POLL_INTERVAL_SEC": "600",
    }


async def test_sigkill_mid_google_backfill_loses_nothing_and_duplicates_nothing(
    isolated: Isolated, emulator: GoogleEmulator, tmp_path: Path
) -> None:
    wanted = set().union(*(expected(emulator, m) for m in MAILBOXES))
    grpc_port = free_port()
    env = capture_env(isolated, emulator, key=new_key(), grpc_port=grpc_port)
    async with (
        tailing(isolated.bootstrap_servers, isolated.topics.activity_captured) as tail,
        running_scoring(scoring_settings(isolated, group="scoring-google-restart")),
    ):
        first = start_capture(env, tmp_path / "capture-1.log")
        try:
            await eventually(lambda: grpc_serving(grpc_port), timeout_sec=90, interval_sec=0.1)
            async with admin_client(grpc_port) as admin:
                await register_google(admin, emulator, MAILBOXES)

            async def partway() -> bool:
                return len(tail.records) >= len(wanted) // 3

            await eventually(partway, timeout_sec=30, interval_sec=0.01)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        before_crash = {r.activity.id for r in tail.records}
        assert 0 < len(before_crash) < len(wanted), "the crash did not land in the middle of the backfill"

        second = start_capture(env, tmp_path / "capture-2.log")
        try:

            async def complete() -> bool:
                rows = await scoring_rows(isolated.database_url, TENANT)
                return {r["id"] for r in rows} == wanted

            await eventually(complete, timeout_sec=60, interval_sec=0.2)
            async with admin_client(grpc_port) as admin:
                states = {s.state for s in (await statuses(admin, TENANT)).values()}
                assert states == {"idle"}, states
        finally:
            terminate(second, timeout_sec=15)

    rows = await scoring_rows(isolated.database_url, TENANT)
    assert len(rows) == len(wanted) == len({r["id"] for r in rows})
    assert not any(r["is_deletion"] for r in rows)
    published = [r.activity.id for r in tail.records]
    republished = len(published) - len(set(published))
    bound = len(MAILBOXES) * 2 * PAGE_SIZE  # at most the page in flight of every stream
    print(
        f"google restart mid-backfill: {len(before_crash)} of {len(wanted)} activities published before "
        f"SIGKILL; {republished} records published again after the restart (bound {bound}); "
        f"{len(rows)} rows in scoring for {len(wanted)} expected; "
        + json.dumps({"emulator_calls": sum(emulator.world.served.values())})
    )
    assert republished <= bound
