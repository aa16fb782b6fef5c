"""Helpers for the Google integration tests: a client pointed at the emulator, walks collected into
lists, the emulator's ground truth as id sets, and a local HTTP endpoint that records push requests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.capture.providers.google import sync
from services.capture.providers.google.client import GoogleApiSettings, GoogleWorkspaceClient
from services.capture.providers.google.cursors import CalendarCursor, GmailCursor
from services.capture.providers.google.gmail import skip_reason
from services.capture.providers.google.items import MailItem, MeetingItem
from services.sandbox.emulators.google import GoogleEmulator


def client_for(emulator: GoogleEmulator, **overrides: object) -> GoogleWorkspaceClient:
    settings = GoogleApiSettings(
        gmail_endpoint=emulator.base_url,
        calendar_endpoint=emulator.calendar_endpoint,
        max_workers=4,
        transient_backoff_sec=0.01,
        **overrides,  # type: ignore[arg-type]
    )
    return GoogleWorkspaceClient(emulator.key_file(), settings)


async def full_mail(client: GoogleWorkspaceClient, user: str, **kwargs: object) -> list[sync.GmailBatch]:
    return [b async for b in sync.gmail_full_sync(client, user, **kwargs)]  # type: ignore[arg-type]


async def history(
    client: GoogleWorkspaceClient, user: str, start: int, page_size: int = 500
) -> list[sync.GmailBatch]:
    return [b async for b in sync.gmail_history(client, user, start_history_id=start, page_size=page_size)]


async def calendar(
    client: GoogleWorkspaceClient, user: str, cursor: CalendarCursor | None = None, page_size: int = 250
) -> list[sync.CalendarBatch]:
    return [b async for b in sync.calendar_sync(client, user, cursor=cursor, page_size=page_size)]


def mail_ids(batches: list[sync.GmailBatch]) -> set[str]:
    return {i.message_id for b in batches for i in b.items if isinstance(i, MailItem)}


def meeting_ids(batches: list[sync.CalendarBatch]) -> set[str]:
    return {i.event_id for b in batches for i in b.items if isinstance(i, MeetingItem)}


def last_gmail_cursor(batches: list[sync.GmailBatch]) -> GmailCursor:
    assert batches and batches[-1].complete
    return batches[-1].cursor


def truth_mail_ids(emulator: GoogleEmulator, user: str) -> set[str]:
    """What capture must hold for the mailbox: every message not skipped by its labels."""
    return {m["id"] for m in emulator.world.mailbox_truth(user) if skip_reason(m["labelIds"]) is None}


def truth_meeting_ids(emulator: GoogleEmulator, user: str) -> set[str]:
    return {e["id"] for e in emulator.world.calendar_truth(user)}


@dataclass
class PushReceiver:
    """Records every POST it gets; answers 204 (or `status` when set)."""

    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 204
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _record(self, request: Request) -> Response:
        self.requests.append((request.url.path, dict(request.headers), await request.body()))
        return Response(status_code=self.status)

    def paths(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for p, headers, body in self.requests if p == path]


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def push_receiver() -> AsyncIterator[PushReceiver]:
    receiver = PushReceiver()
    app = Starlette(routes=[Route("/{path:path}", receiver._record, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY by asyncio
    sock.bind(("127.0.0.1", 0))
    receiver.port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # surfaces a bind error
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()
