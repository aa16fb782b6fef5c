"""A capture process killed (SIGKILL) in the middle of a backfill and started again loses nothing and
duplicates nothing downstream: the real scoring service ends with exactly one row per activity the
emulator's ground truth says must be captured."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from groundtruth.capture.v1 import capture_pb2_grpc
from plumbing.embedded.process import free_port
from services.capture.adapters.secret_box import new_key
from services.capture.domain.window import calendar_window
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from tests.integration.capture.harness import (
    DOMAIN,
    TENANT,
    expected_ids,
    org_spec,
    register,
    running_emulator,
)
from tests.integration.capture.restart import kill_mid_backfill_and_restart
from tests.integration.conftest import Isolated

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


async def test_sigkill_mid_backfill_loses_nothing_and_duplicates_nothing(
    isolated: Isolated, emulator: MicrosoftEmulator, tmp_path: Path
) -> None:
    window = calendar_window(datetime.now(UTC), days_back=30, days_ahead=90, step_days=7)
    expected = set().union(*(expected_ids(emulator, m, window) for m in MAILBOXES))
    grpc_port = free_port()
    env = capture_env(isolated, emulator, key=new_key(), grpc_port=grpc_port)

    async def register_all(admin: capture_pb2_grpc.CaptureAdminAsyncStub) -> None:
        await register(admin, emulator, MAILBOXES)

    run = await kill_mid_backfill_and_restart(
        isolated, env, grpc_port=grpc_port, register=register_all, wanted=expected, tenant=TENANT,
        group="scoring-restart", logs=tmp_path,
    )  # fmt: skip
    rows, before_crash = run.rows, run.before_crash
    assert len(rows) == len(expected) == len({r["id"] for r in rows})
    assert not any(r["is_deletion"] for r in rows)
    republished = len(run.published) - len(set(run.published))
    bound = len(MAILBOXES) * 3 * PAGE_SIZE  # at most the page in flight of every stream
    print(
        f"restart mid-backfill: {len(before_crash)} of {len(expected)} activities published before SIGKILL; "
        f"{republished} records published again after the restart (bound {bound}); "
        f"{len(rows)} rows in scoring for {len(expected)} expected"
    )
    assert republished <= bound
