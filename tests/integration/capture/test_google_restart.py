"""A capture process reading Google Workspace, killed (SIGKILL) in the middle of its backfill and
started again, loses nothing and duplicates nothing downstream: the real scoring service ends with
exactly one row per activity the emulator's ground truth says must be captured."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from groundtruth.capture.v1 import capture_pb2_grpc
from plumbing.embedded.process import free_port
from services.capture.adapters.secret_box import new_key
from services.sandbox.emulators.google import DOMAIN, GoogleEmulator, running_google_emulator
from tests.integration.capture.google_rig import TENANT, expected, register_google
from tests.integration.capture.restart import kill_mid_backfill_and_restart
from tests.integration.conftest import Isolated

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

    async def register_all(admin: capture_pb2_grpc.CaptureAdminAsyncStub) -> None:
        await register_google(admin, emulator, MAILBOXES)

    run = await kill_mid_backfill_and_restart(
        isolated, env, grpc_port=grpc_port, register=register_all, wanted=wanted, tenant=TENANT,
        group="scoring-google-restart", logs=tmp_path,
    )  # fmt: skip
    rows, before_crash = run.rows, run.before_crash
    assert len(rows) == len(wanted) == len({r["id"] for r in rows})
    assert not any(r["is_deletion"] for r in rows)
    republished = len(run.published) - len(set(run.published))
    bound = len(MAILBOXES) * 2 * PAGE_SIZE  # at most the page in flight of every stream
    print(
        f"google restart mid-backfill: {len(before_crash)} of {len(wanted)} activities published before "
        f"SIGKILL; {republished} records published again after the restart (bound {bound}); "
        f"{len(rows)} rows in scoring for {len(wanted)} expected; "
        + json.dumps({"emulator_calls": sum(emulator.world.served.values())})
    )
    assert republished <= bound
