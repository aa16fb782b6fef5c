"""A Microsoft 365 emulator and a capture instance pointed at it, shared by the tests of a module."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.app import RunningCapture, running_capture
from services.capture.domain.identity import activity_id
from services.capture.domain.window import Window, calendar_window
from services.capture.operations.sync.worker import MailboxWorker
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from tests.conftest import eventually
from tests.integration.capture.harness import (
    DOMAIN,
    TENANT,
    TopicTail,
    admin_client,
    capture_settings,
    org_spec,
    register,
    running_emulator,
    tailing,
)
from tests.integration.conftest import Isolated

SEEDED = [f"rep{i:04d}@{DOMAIN}" for i in (1, 2, 3)]
CUSTOMER = "buyer@northwind.example"


@dataclass(frozen=True, repr=False)  # hypothesis prints its arguments: not every record of the tail
class Rig:
    emulator: MicrosoftEmulator
    capture: RunningCapture
    tail: TopicTail
    admin: capture_pb2_grpc.CaptureAdminAsyncStub
    window: Window

    @property
    def directory(self) -> str:
        return next(iter(self.emulator.state.orgs.values())).tenant_id

    def new_mailbox(self, name: str) -> str:
        upn = f"{name}@{DOMAIN}"
        self.emulator.add_mailbox(self.directory, upn)
        return upn

    async def add(self, *mailboxes: str, connection_id: str = "ms-main") -> None:
        await self.admin.UpsertMailboxes(
            capture_pb2.UpsertMailboxesRequest(
                tenant_id=TENANT,
                connection_id=connection_id,
                mailboxes=[
                    capture_pb2.MailboxAssignment(address=m, rep_id="rep-" + m.split("@")[0])
                    for m in mailboxes
                ],
            )
        )

    async def idle(self, *mailboxes: str, passes: int = 1) -> None:
        async def done() -> bool:
            for m in mailboxes:
                if m not in {ref.address for ref, _ in self.capture.engine.statuses()}:
                    return False
                worker = self.worker(m)
                if worker.passes < passes or worker.status.state.value != "idle":
                    return False
            return True

        await eventually(done, timeout_sec=30)

    async def status(self, mailbox: str, *, state: str = "idle") -> capture_pb2.MailboxStatus:
        """The mailbox's status over gRPC, once it reports `state` (a pass may still be running)."""
        found: list[capture_pb2.MailboxStatus] = []

        async def reached() -> bool:
            response = await self.admin.GetSyncStatus(
                capture_pb2.GetSyncStatusRequest(tenant_id=TENANT, mailbox=mailbox)
            )
            found[:] = list(response.mailboxes)
            return bool(found) and found[0].state == state

        await eventually(reached, timeout_sec=20)
        return found[0]

    def worker(self, mailbox: str) -> MailboxWorker:
        for ref, _ in self.capture.engine.statuses():
            if ref.address == mailbox:
                worker = self.capture.engine.worker(ref.mailbox_id)
                assert worker is not None
                return worker
        raise AssertionError(f"no worker for {mailbox}")

    async def trigger(self, mailbox: str, *, full_resync: bool = False) -> None:
        await self.admin.TriggerSync(
            capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox=mailbox, full_resync=full_resync)
        )

    async def subscribed(self, mailbox: str) -> None:
        await eventually(lambda: holds(len(self.emulator.subscriptions_of(mailbox)) == 2), timeout_sec=20)


async def holds(value: bool) -> bool:
    """An awaitable probe for `eventually` from a plain condition."""
    return value


def aid(mailbox: str, item_id: str) -> str:
    return activity_id(
        tenant_id=TENANT, provider=activity_pb2.PROVIDER_MICROSOFT, mailbox=mailbox, item_id=item_id
    )


@contextlib.asynccontextmanager
async def running_rig(
    isolated: Isolated, tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> AsyncIterator[Rig]:
    """The emulator with a seeded organisation, capture pointed at it, a topic tail, an admin client."""
    tls_dir = Path(tmp_path_factory.mktemp("ms-tls"))
    async with running_emulator(tls_dir, org_spec()) as emulator:
        settings = capture_settings(isolated, emulator, emulator.tls, **overrides)
        async with (
            tailing(isolated.bootstrap_servers, isolated.topics.activity_captured) as tail,
            running_capture(settings) as capture,
            admin_client(capture.grpc_port, isolated.client_tls) as admin,
        ):
            await register(admin, emulator, SEEDED)
            window = calendar_window(datetime.now(UTC), days_back=30, days_ahead=90, step_days=7)
            yield Rig(emulator, capture, tail, admin, window)
