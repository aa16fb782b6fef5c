"""Push delivery: Gmail through a Pub/Sub push subscription, Calendar through watch channels."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import httpx

from services.sandbox.emulators.google.calendar import Calendar
from services.sandbox.emulators.google.mailbox import HistoryRecord, Mailbox

_log = logging.getLogger(__name__)
GMAIL_MIN_INTERVAL_SEC = 1.0  # "at most 1 notification per second per user; the rest are dropped"
GMAIL_WATCH_LIFETIME_MS = 7 * 24 * 3600 * 1000
CALENDAR_DEFAULT_TTL_SEC = 604_800


@dataclass
class GmailWatch:
    topic: str
    label_ids: tuple[str, ...]
    exclude: bool
    expiration_ms: int
    last_sent: float = float("-inf")
    dropped: int = 0


@dataclass
class Channel:
    id: str
    resource_id: str
    user: str
    address: str
    token: str | None
    expiration_ms: int
    resource_uri: str
    message_number: int = 0

    def resource(self) -> dict[str, Any]:
        channel: dict[str, Any] = {
            "kind": "api#channel",
            "id": self.id,
            "resourceId": self.resource_id,
            "resourceUri": self.resource_uri,
            "expiration": str(self.expiration_ms),
        }
        if self.token is not None:
            channel["token"] = self.token
        return channel


@dataclass(frozen=True)
class Delivery:
    """One delivery attempt, kept so tests and the demo can see what was pushed where."""

    kind: str  # "gmail" or "calendar"
    user: str
    url: str
    status: int | None  # None: the endpoint could not be reached
    attempt: int
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class PushDispatcher:
    """Sends notifications from the emulator's event loop; callable from any thread.

    Failed deliveries (no answer or a non-2xx status) are retried with exponential backoff a bounded
    number of times, as Pub/Sub and Calendar push do (they retry for much longer).
    """

    clock: Callable[[], float] = time.time
    retry_delays_sec: tuple[float, ...] = (0.1, 0.2, 0.4, 0.8, 1.6)
    subscriptions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # topic -> (name, url)
    gmail_watches: dict[str, GmailWatch] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _client: httpx.AsyncClient | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _message_seq: int = 0

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._client = httpx.AsyncClient(timeout=10.0, trust_env=False)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        self._loop = None

    # -- Gmail ------------------------------------------------------------------------------------

    def on_mail_change(self, mailbox: Mailbox, record: HistoryRecord) -> None:
        watch = self.gmail_watches.get(mailbox.address)
        now = self.clock()
        if watch is None or watch.expiration_ms <= now * 1000:
            return
        labels = set(record.message.get("labelIds", ()))
        if watch.label_ids:
            matches = bool(labels & set(watch.label_ids))
            if matches == watch.exclude:
                return
        if now - watch.last_sent < GMAIL_MIN_INTERVAL_SEC:
            watch.dropped += 1
            return
        watch.last_sent = now
        data = json.dumps({"emailAddress": mailbox.address, "historyId": mailbox.history_id})
        self._message_seq += 1
        published = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))
        for name, url in self.subscriptions.get(watch.topic, []):
            message = {
                "data": base64.urlsafe_b64encode(data.encode()).decode(),
                "messageId": str(self._message_seq),
                "message_id": str(self._message_seq),
                "publishTime": published,
                "publish_time": published,
                "attributes": {},
            }
            body = {"message": message, "subscription": name}
            self._schedule(self._deliver("gmail", mailbox.address, url, {}, body))

    # -- Calendar ---------------------------------------------------------------------------------

    def open_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel
        self._notify(channel, "sync")

    def on_calendar_change(self, calendar: Calendar) -> None:
        for channel in list(self.channels.values()):
            if channel.user == calendar.owner:
                self._notify(channel, "exists")

    def _notify(self, channel: Channel, state: str) -> None:
        if channel.expiration_ms <= self.clock() * 1000:
            self.channels.pop(channel.id, None)
            return
        channel.message_number += 1
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": formatdate(channel.expiration_ms / 1000, usegmt=True),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel.message_number),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        self._schedule(self._deliver("calendar", channel.user, channel.address, headers, None))

    # -- delivery ---------------------------------------------------------------------------------

    def _schedule(self, delivery: Coroutine[Any, Any, None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            delivery.close()
            return

        def start() -> None:
            task = loop.create_task(delivery)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        if _running_loop() is loop:
            start()
        else:
            loop.call_soon_threadsafe(start)

    async def _deliver(
        self, kind: str, user: str, url: str, headers: dict[str, str], body: dict[str, Any] | None
    ) -> None:
        client = self._client
        if client is None:
            return
        content = json.dumps(body).encode() if body is not None else b""
        send_headers = {**headers, "Content-Type": "application/json"} if body is not None else headers
        for attempt, delay in enumerate((0.0, *self.retry_delays_sec), start=1):
            await asyncio.sleep(delay)
            status: int | None
            try:
                response = await client.post(url, content=content, headers=send_headers)
                status = response.status_code
            except httpx.HTTPError as exc:
                _log.info("push delivery failed", extra={"url": url, "error": repr(exc)})
                status = None
            self.deliveries.append(Delivery(kind, user, url, status, attempt, headers, body))
            if status is not None and (200 <= status < 300 or status == 102):
                return


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
