"""Graph change-notification subscriptions: validation handshake, delivery, renewal, lifecycle events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.sandbox.emulators.microsoft.model import Item, JsonObject, Mailbox, Organisation

_log = logging.getLogger(__name__)
MIN_LIFETIME = timedelta(minutes=45)
_RESOURCE = re.compile(
    r"^/?users/(?P<user>[^/]+)/(?:(?:mailfolders\('(?P<folder>[^']+)'\)/)?(?P<what>messages)|(?P<events>events))$",
    re.IGNORECASE,
)
VALIDATION_TIMEOUT_SEC = 10.0


class SubscriptionError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Subscription:
    id: str
    tenant_id: str
    mailbox: str  # lower-case UPN
    resource: str
    kind: str  # "message" | "event"
    folder: str | None
    change_types: frozenset[str]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires_at: datetime
    application_id: str
    needs_reauthorization: bool = False

    def to_json(self) -> JsonObject:
        return {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
            "id": self.id,
            "resource": self.resource,
            "applicationId": self.application_id,
            "changeType": ",".join(sorted(self.change_types)),
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": self.expires_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
            "creatorId": self.application_id,
            "latestSupportedTlsVersion": "v1_2",
            "notificationContentType": "application/json",
        }


def _touches_folder(item: Item, folder: str) -> bool:
    """A folder subscription hears about items that are, or just were, in that folder."""
    previous = item.history[-2].folder if len(item.history) > 1 else None
    return folder in {item.folder, previous}


@dataclass
class Delivery:
    """One notification POST, for measurements: when the change happened and how the hook answered."""

    subscription_id: str
    changed_monotonic: float
    sent_monotonic: float
    status: int | None
    elapsed_sec: float


@dataclass
class _Pending:
    url: str
    body: JsonObject
    subscription_id: str
    changed_monotonic: float


@dataclass
class Subscriptions:
    """Every subscription of the emulator, and the worker that delivers their notifications."""

    max_lifetime: timedelta = timedelta(minutes=10_080)
    allow_http_urls: bool = True  # real Graph insists on HTTPS; loopback tests use plain HTTP
    enabled: bool = True  # notifications on/off, to prove polling alone still converges
    by_id: dict[str, Subscription] = field(default_factory=dict)
    deliveries: deque[Delivery] = field(default_factory=lambda: deque(maxlen=100_000))
    _queue: asyncio.Queue[_Pending] | None = None
    _workers: list[asyncio.Task[None]] = field(default_factory=list)
    _client: httpx.AsyncClient | None = None

    async def start(self, *, delivery_workers: int = 8) -> None:
        self._client = httpx.AsyncClient(timeout=VALIDATION_TIMEOUT_SEC, trust_env=False)
        self._queue = asyncio.Queue()
        self._workers = [asyncio.create_task(self._deliver_forever()) for _ in range(delivery_workers)]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self._client is not None:
            await self._client.aclose()

    # --- management ---------------------------------------------------------------------------

    async def create(self, org: Organisation, app_id: str, body: JsonObject) -> Subscription:
        resource = str(body.get("resource", ""))
        match = _RESOURCE.match(resource)
        if not match:
            raise SubscriptionError(400, "InvalidRequest", f"Unsupported resource '{resource}'.")
        mailbox = org.mailbox(match.group("user"))
        if mailbox is None:
            raise SubscriptionError(404, "ResourceNotFound", "User not found.")
        change_types = frozenset(t.strip() for t in str(body.get("changeType", "")).split(",") if t.strip())
        if not change_types or not change_types <= {"created", "updated", "deleted"}:
            raise SubscriptionError(400, "InvalidRequest", "Invalid changeType.")
        url = str(body.get("notificationUrl", ""))
        lifecycle = body.get("lifecycleNotificationUrl")
        for candidate in [url, *([str(lifecycle)] if lifecycle else [])]:
            if not candidate.startswith("https://") and not (
                self.allow_http_urls and candidate.startswith("http://")
            ):
                raise SubscriptionError(400, "InvalidRequest", "NotificationUrl must be an https URL.")
        client_state = body.get("clientState")
        if client_state is not None and len(str(client_state)) > 128:
            raise SubscriptionError(400, "InvalidRequest", "clientState is longer than 128 characters.")
        expires = self._expiry(body.get("expirationDateTime"))
        for target in [url, *([str(lifecycle)] if lifecycle else [])]:
            await self._validate(target)
        sub = Subscription(
            id=str(uuid.uuid4()),
            tenant_id=org.tenant_id,
            mailbox=mailbox.upn,
            resource=resource,
            kind="event" if match.group("events") else "message",
            folder=match.group("folder"),
            change_types=change_types,
            notification_url=url,
            lifecycle_url=str(lifecycle) if lifecycle else None,
            client_state=None if client_state is None else str(client_state),
            expires_at=expires,
            application_id=app_id,
        )
        self.by_id[sub.id] = sub
        return sub

    def live(self, sub_id: str) -> Subscription:
        sub = self.by_id.get(sub_id)
        if sub is None or sub.expires_at <= datetime.now(UTC):
            self.by_id.pop(sub_id, None)
            raise SubscriptionError(404, "ResourceNotFound", f"The object '{sub_id}' doesn't exist.")
        return sub

    def renew(self, sub_id: str, body: JsonObject) -> Subscription:
        sub = self.live(sub_id)
        sub.expires_at = self._expiry(body.get("expirationDateTime"))
        sub.needs_reauthorization = False
        return sub

    def reauthorize(self, sub_id: str) -> None:
        self.live(sub_id).needs_reauthorization = False

    def delete(self, sub_id: str) -> None:
        self.live(sub_id)
        del self.by_id[sub_id]

    def _expiry(self, raw: Any) -> datetime:
        try:
            wanted = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError as exc:
            raise SubscriptionError(400, "InvalidRequest", "Invalid expirationDateTime.") from exc
        if wanted.tzinfo is None:
            wanted = wanted.replace(tzinfo=UTC)
        now = datetime.now(UTC)
        if wanted > now + self.max_lifetime:
            raise SubscriptionError(
                400,
                "InvalidRequest",
                f"Subscription expiration can only be {int(self.max_lifetime.total_seconds() // 60)} minutes "
                "in the future.",
            )
        return max(wanted, now + MIN_LIFETIME)

    async def _validate(self, url: str) -> None:
        # Real tokens contain spaces and colons, so the endpoint must URL-decode before echoing.
        token = (
            f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        )
        assert self._client is not None
        try:
            response = await self._client.post(
                url, params={"validationToken": token}, headers={"Content-Type": "text/plain; charset=utf-8"}
            )
        except httpx.HTTPError as exc:
            _log.info("validation request failed", extra={"url": url, "error": repr(exc)})
            response = None
        ok = (
            response is not None
            and response.status_code == 200
            and response.headers.get("content-type", "").startswith("text/plain")
            and response.text == token
        )
        if not ok:
            raise SubscriptionError(
                400,
                "InvalidRequest",
                "Subscription validation request failed. Notification endpoint must respond with 200 OK to "
                "validation request.",
            )

    # --- delivery ----------------------------------------------------------------------------

    def on_change(self, org: Organisation, mailbox: Mailbox, item: Item, change_type: str) -> None:
        if not self.enabled or self._queue is None:
            return
        changed = time.monotonic()
        for sub in list(self.by_id.values()):
            if sub.mailbox != mailbox.upn or sub.kind != item.kind or change_type not in sub.change_types:
                continue
            if sub.needs_reauthorization or sub.expires_at <= datetime.now(UTC):
                continue
            if sub.folder is not None and not _touches_folder(item, sub.folder.lower()):
                continue
            collection = "Messages" if item.kind == "message" else "Events"
            notification = {
                "id": secrets.token_hex(8),
                "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": sub.expires_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
                "clientState": sub.client_state,
                "changeType": change_type,
                "resource": f"Users/{mailbox.user_id}/{collection}/{item.id}",
                "tenantId": org.tenant_id,
                "resourceData": {
                    "@odata.type": f"#Microsoft.Graph.{collection[:-1]}",
                    "@odata.id": f"Users/{mailbox.user_id}/{collection}/{item.id}",
                    "@odata.etag": item.data.get("@odata.etag"),
                    "id": item.id,
                },
            }
            self._queue.put_nowait(_Pending(sub.notification_url, {"value": [notification]}, sub.id, changed))

    async def lifecycle(self, sub_id: str, event: str) -> int | None:
        """Send one lifecycle notification now; returns the hook's status (None if unreachable)."""
        sub = self.live(sub_id)
        if sub.lifecycle_url is None:
            raise SubscriptionError(
                400, "InvalidRequest", "The subscription has no lifecycleNotificationUrl."
            )
        if event == "reauthorizationRequired":
            sub.needs_reauthorization = True
        body = {
            "value": [
                {
                    "subscriptionId": sub.id,
                    "subscriptionExpirationDateTime": sub.expires_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
                    "tenantId": sub.tenant_id,
                    "clientState": sub.client_state,
                    "lifecycleEvent": event,
                }
            ]
        }
        if event == "subscriptionRemoved":
            del self.by_id[sub.id]
        assert self._client is not None
        try:
            response = await self._client.post(sub.lifecycle_url, json=body)
        except httpx.HTTPError:
            return None
        return response.status_code

    async def _deliver_forever(self) -> None:
        assert self._queue is not None and self._client is not None
        while True:
            pending = await self._queue.get()
            sent = time.monotonic()
            status: int | None
            try:
                response = await self._client.post(pending.url, json=pending.body)
                status = response.status_code
            except httpx.HTTPError as exc:
                _log.info("notification delivery failed", extra={"url": pending.url, "error": repr(exc)})
                status = None
            self.deliveries.append(
                Delivery(
                    pending.subscription_id, pending.changed_monotonic, sent, status, time.monotonic() - sent
                )
            )
