"""What a provider connector implements, and what the sync engine hands it.

A provider plugs in by implementing `ProviderConnector` (and, for push, serving webhook routes that
call a `NotificationSink`: see `providers/registry.py::ProviderAdapter`). Everything else
(scheduling, throttling, cursors, privacy, normalization, publishing, status and metrics) is
provider-independent and lives in the engine (`operations/sync/`). See docs/capture.md, "Adding a
provider".
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.items import Change, KnownItem
from services.capture.domain.quarantine import Rejected


@dataclass(frozen=True)
class MailboxRef:
    """One captured mailbox: whose it is and through which connection it is read."""

    mailbox_id: int
    tenant_id: str
    connection_id: str
    provider: activity_pb2.Provider.ValueType
    address: str  # lower-cased UPN / e-mail address
    rep_id: str


@dataclass(frozen=True)
class ConnectionInfo:
    """A provider connection with its credential decrypted. Never logged, never returned by an API."""

    connection_id: str
    tenant_id: str
    provider: activity_pb2.Provider.ValueType
    credential: Mapping[str, str] = field(repr=False)  # e.g. {"kind": "secret", "client_secret": ...}
    version: str  # changes whenever the connection is re-registered (new secret: new client objects)
    directory_tenant_id: str = ""
    client_id: str = ""
    workspace_domain: str = ""
    service_account_email: str = ""


@dataclass(frozen=True)
class StreamPlan:
    """One independent chain of cursors within a mailbox (e.g. "mail:inbox", "calendar").

    `scope` pins the chain to the parameters it was started with (e.g. the calendar window); when a
    connector returns a different scope than the stored cursor's, the engine restarts that chain.
    `snapshots` says whether the connector needs the last full view of published items
    (`KnownItem.snapshot`, to merge partial updates); without it capture stores only ids, versions
    and content hashes, which is cheaper per item.
    """

    name: str
    scope: str = ""
    snapshots: bool = True


@dataclass(frozen=True)
class Page:
    """One step of a stream: the changes it carried and where to continue.

    `complete` is True when `cursor` is the end-of-round checkpoint (Graph deltaLink, Gmail
    historyId, Calendar nextSyncToken): the stream is caught up. Otherwise `cursor` continues the
    round (nextLink, pageToken). The engine stores `cursor` only after every change is published.
    """

    changes: Sequence[Change]
    cursor: str
    complete: bool
    # Items the connector could not read (`domain/quarantine.py`): skipped, counted, dead-lettered.
    rejected: Sequence[Rejected] = ()


class KnownItems(Protocol):
    """What capture remembers of published items of this mailbox, for merging partial updates."""

    async def get(self, item_ids: Collection[str]) -> Mapping[str, KnownItem]: ...

    async def in_series(self, series_id: str) -> Mapping[str, KnownItem]:
        """Published occurrences of a recurring series (by the series id their snapshot carries)."""
        ...


class MailboxPaused(Exception):
    """Raised by `RequestGate.slot()` while the mailbox waits out a provider's Retry-After."""

    def __init__(self, remaining_sec: float) -> None:
        super().__init__(f"mailbox paused for {remaining_sec:.3f}s")
        self.remaining_sec = remaining_sec


class RequestGate(Protocol):
    """Per-mailbox admission for provider requests: at most N in flight, none while throttled.

    Connectors wrap every provider request of the mailbox in `async with gate.slot():`. It raises
    `MailboxPaused` instead of waiting when the mailbox is paused, so the engine can release its
    other resources while it waits.
    """

    def slot(self) -> AbstractAsyncContextManager[None]: ...


@dataclass(frozen=True)
class SyncContext:
    mailbox: MailboxRef
    connection: ConnectionInfo
    gate: RequestGate
    known: KnownItems
    now: datetime


@dataclass(frozen=True)
class SubscriptionGrant:
    """A push subscription as the provider granted it. `provider_data` is whatever else the
    connector needs later to renew or stop it (e.g. a Calendar channel's resourceId); stored as is."""

    provider_id: str
    expires_at: datetime
    provider_data: str = ""


@dataclass(frozen=True)
class StoredSubscription:
    mailbox_id: int
    resource: str
    provider_id: str
    client_state: str = field(repr=False)
    created_at: datetime
    expires_at: datetime
    provider_data: str = ""

    @property
    def renew_at(self) -> datetime:
        """Renew at half the granted lifetime, so a failed renewal has time to be retried."""
        return self.created_at + (self.expires_at - self.created_at) / 2


class SubscriptionGone(Exception):
    """The provider no longer knows the subscription (404 on renew): create a new one and resync."""


class ProviderConnector(Protocol):
    """Reads one provider. Built once per process; shared by every mailbox of that provider.

    Every method that talks to the provider goes through `ctx.gate` and raises only the faults of
    `services.capture.domain.faults` (or `MailboxPaused` from the gate, or `SubscriptionGone`).
    None of them writes capture's state: the engine does, after publishing.
    """

    provider: activity_pb2.Provider.ValueType

    def streams(self, mailbox: MailboxRef, now: datetime) -> Sequence[StreamPlan]:
        """The mailbox's streams right now. Pure; called at the start of every pass."""
        ...

    async def read_page(self, ctx: SyncContext, stream: StreamPlan, cursor: str | None) -> Page:
        """Fetch one page. `cursor` None starts a new round from scratch (initial or resync).

        Partial updates are merged into `ctx.known` snapshots (fetching the full item when there is
        none); removals are confirmed, so an `ItemGone` means the item is really gone.
        """
        ...

    async def confirm(
        self, ctx: SyncContext, stream: StreamPlan, item_ids: Sequence[str]
    ) -> Sequence[Change]:
        """After a full round, for published items the round did not see: `ItemGone` for those that
        are deleted, `ItemSeen` for those that still exist and still belong to the stream. Items not
        mentioned are forgotten without publishing anything."""
        ...

    def subscription_resources(self, mailbox: MailboxRef) -> Sequence[str]:
        """Resources to subscribe to for push (empty: polling only)."""
        ...

    async def subscribe(
        self, ctx: SyncContext, resource: str, *, client_state: str, expires_at: datetime
    ) -> SubscriptionGrant: ...

    async def renew(
        self, ctx: SyncContext, subscription: StoredSubscription, *, expires_at: datetime
    ) -> SubscriptionGrant:
        """Extend (or re-create, for providers without renewal) a subscription; `SubscriptionGone`
        when the provider no longer has it."""
        ...

    async def reauthorize(self, ctx: SyncContext, subscription: StoredSubscription) -> None: ...

    async def unsubscribe(self, ctx: SyncContext, subscription: StoredSubscription) -> None: ...

    async def close(self) -> None:
        """Release clients (HTTP pools, token caches). Called once at shutdown."""
        ...


class LifecycleEvent(enum.Enum):
    REAUTHORIZATION_REQUIRED = "reauthorizationRequired"
    SUBSCRIPTION_REMOVED = "subscriptionRemoved"
    MISSED = "missed"


class NotificationSink(Protocol):
    """Where webhook handlers hand notifications. Every method returns at once (work is queued), so a
    handler can answer the provider within its deadline; each returns False when the notification is
    not for a known subscription or its client state does not match (compared in constant time)."""

    def changed(self, subscription_id: str, client_state: str | None) -> bool: ...

    def lifecycle(self, subscription_id: str, client_state: str | None, event: LifecycleEvent) -> bool: ...

    def mailbox_changed(self, provider: activity_pb2.Provider.ValueType, address: str) -> bool:
        """For pushes keyed by mailbox address rather than by subscription (Gmail via Pub/Sub)."""
        ...
