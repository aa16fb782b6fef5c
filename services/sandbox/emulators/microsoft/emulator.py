"""The Microsoft 365 emulator: Entra and Graph over HTTPS, plus a Python API for tests to drive it.

Tests run it in-process (`async with MicrosoftEmulator(...).running()`) and call the methods below
directly; the bench and `make run` run it in the emulator process and drive it over the control API
(`control.py`), which wraps these same methods.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from services.sandbox.emulators.microsoft import items as ops
from services.sandbox.emulators.microsoft.entra import EntraApi
from services.sandbox.emulators.microsoft.graph import GraphApi
from services.sandbox.emulators.microsoft.model import (
    CALENDAR,
    MAIL_FOLDERS,
    App,
    Item,
    JsonObject,
    Mailbox,
    Organisation,
)
from services.sandbox.emulators.microsoft.org import OrgSpec, add_user, build_org
from services.sandbox.emulators.microsoft.state import EmulatorState, RequestRecord
from services.sandbox.emulators.server import AsgiServer
from services.sandbox.emulators.tls import TlsFiles


class MicrosoftEmulator:
    name = "microsoft"

    def __init__(
        self, *, tls: TlsFiles, host: str = "127.0.0.1", port: int = 0, max_subscription_minutes: int = 10_080
    ) -> None:
        self.tls = tls
        self.state = EmulatorState()
        self.state.subscriptions.max_lifetime = timedelta(minutes=max_subscription_minutes)
        self._listener = self.state.change_listener()
        app = Starlette(routes=[*GraphApi(self.state).routes(), *EntraApi(self.state).routes()])
        self._server = AsgiServer(app, host=host, port=port, tls=tls)

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.state.subscriptions.start()
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()
        await self.state.subscriptions.stop()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MicrosoftEmulator]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    @property
    def base_url(self) -> str:
        return f"https://{self._server.host}:{self._server.port}"

    @property
    def authority_base(self) -> str:
        """Stands in for https://login.microsoftonline.com."""
        return self.base_url

    @property
    def graph_base_url(self) -> str:
        """Stands in for https://graph.microsoft.com/v1.0."""
        return f"{self.base_url}/v1.0"

    def describe(self) -> dict[str, object]:
        orgs = {o.tenant_id: o for o in self.state.orgs.values()}
        return {
            "authority_base": self.authority_base,
            "graph_base_url": self.graph_base_url,
            "ca_bundle": str(self.tls.ca_path),
            "organisations": [
                {
                    "tenant_id": o.tenant_id,
                    "domain": o.domain,
                    "apps": [{"client_id": a.client_id, "client_secret": a.secret} for a in o.apps.values()],
                    "mailboxes": len(o.mailboxes),
                }
                for o in orgs.values()
            ],
        }

    # --- organisations --------------------------------------------------------------------------

    def seed(self, spec: OrgSpec) -> Organisation:
        org = build_org(spec)
        self.state.add_org(org)
        return org

    def add_organisation(self, *, tenant_id: str, domain: str) -> Organisation:
        org = Organisation(tenant_id=tenant_id, domain=domain)
        self.state.add_org(org)
        return org

    def add_app(
        self, tenant_id: str, client_id: str, *, secret: str | None = None, certificate_pem: str | None = None
    ) -> App:
        org = self._org(tenant_id)
        org.apps[client_id] = App(client_id=client_id, secret=secret, certificate_pem=certificate_pem)
        return org.apps[client_id]

    def add_mailbox(self, tenant_id: str, upn: str) -> Mailbox:
        return add_user(self._org(tenant_id), upn, seed=tenant_id)

    def mailbox(self, upn: str) -> Mailbox:
        return self.state.find_mailbox(upn)[1]

    def _org(self, tenant_id: str) -> Organisation:
        org = self.state.org(tenant_id)
        if org is None:
            raise KeyError(tenant_id)
        return org

    # --- item changes ---------------------------------------------------------------------------

    def _changed(self, mailbox: Mailbox, item: Item, change_type: str) -> str:
        self._listener(mailbox, item, change_type)
        return item.id

    def add_message(
        self,
        upn: str,
        *,
        folder: str = "inbox",
        sender: str,
        to: Iterable[str],
        cc: Iterable[str] = (),
        subject: str = "",
        sent_at: datetime | None = None,
        body: str = "",
        is_draft: bool = False,
    ) -> str:
        mailbox = self.mailbox(upn)
        item = ops.new_message(
            mailbox,
            folder=folder,
            sender=sender,
            to=to,
            cc=cc,
            subject=subject,
            sent_at=sent_at or datetime.now(UTC),
            body=body,
            is_draft=is_draft,
        )
        return self._changed(mailbox, item, "created")

    def add_event(
        self,
        upn: str,
        *,
        organizer: str,
        attendees: Iterable[str],
        start: datetime,
        minutes: int = 60,
        subject: str = "",
        sensitivity: str = "normal",
        body: str = "",
        show_as: str = "busy",
        is_all_day: bool = False,
    ) -> str:
        mailbox = self.mailbox(upn)
        item = ops.new_event(
            mailbox,
            organizer=organizer,
            attendees=attendees,
            start=start,
            end=start + timedelta(minutes=minutes),
            subject=subject,
            sensitivity=sensitivity,
            body=body,
            created_at=datetime.now(UTC),
            show_as=show_as,
            is_all_day=is_all_day,
        )
        return self._changed(mailbox, item, "created")

    def update(self, upn: str, item_id: str, changes: JsonObject) -> None:
        mailbox = self.mailbox(upn)
        item = mailbox.items[item_id]
        ops.update_item(mailbox, item, changes, now=datetime.now(UTC))
        self._changed(mailbox, item, "updated")

    def reschedule_event(self, upn: str, item_id: str, *, start: datetime, minutes: int = 60) -> None:
        mailbox = self.mailbox(upn)
        item = mailbox.items[item_id]
        ops.reschedule_event(
            mailbox, item, start=start, end=start + timedelta(minutes=minutes), now=datetime.now(UTC)
        )
        self._changed(mailbox, item, "updated")

    def cancel_event(self, upn: str, item_id: str) -> None:
        mailbox = self.mailbox(upn)
        item = mailbox.items[item_id]
        ops.cancel_event(mailbox, item, now=datetime.now(UTC))
        self._changed(mailbox, item, "updated")

    def move_message(self, upn: str, item_id: str, folder: str) -> None:
        mailbox = self.mailbox(upn)
        item = mailbox.items[item_id]
        ops.move_message(mailbox, item, folder, now=datetime.now(UTC))
        self._changed(mailbox, item, "updated")

    def delete(self, upn: str, item_id: str) -> None:
        mailbox = self.mailbox(upn)
        item = mailbox.items[item_id]
        ops.delete_item(mailbox, item, now=datetime.now(UTC))
        self._changed(mailbox, item, "deleted")

    # --- faults ---------------------------------------------------------------------------------

    def poison(
        self, upn: str, item_id: str, *, replace: JsonObject | None = None, drop: Iterable[str] = ()
    ) -> None:
        """From now on the item is served hostile: `replace` overrides properties (any JSON, `id`
        included), `drop` removes them. Its history is untouched, so it is served where it was."""
        item = self.mailbox(upn).items[item_id]
        item.hostile = dict(replace or {})
        item.hostile_drop = frozenset(drop)

    def add_hostile_message(
        self, upn: str, *, replace: JsonObject | None = None, drop: Iterable[str] = (), **message: Any
    ) -> str:
        """A new message (as `add_message`) that is served hostile (as `poison`)."""
        item_id = self.add_message(upn, **message)
        self.poison(upn, item_id, replace=replace, drop=drop)
        return item_id

    def throttle(
        self, upn: str, *, count: int = 1, retry_after: float | None = 1.5, status: int = 429
    ) -> None:
        """The next `count` Graph requests for the mailbox answer `status` (429 or 503)."""
        faults = self.state.faults_for(upn)
        faults.throttles.extend([(status, retry_after)] * count)

    def expire_tokens(self, upn: str) -> int:
        """Every delta token of the mailbox is evicted: using one answers 410 SyncStateNotFound."""
        return self.state.delta_tokens.expire_all(upn.lower())

    def always_expire(self, upn: str, enabled: bool = True) -> None:
        """Every delta request, even a fresh initial one, answers 410 (a resync cannot help)."""
        self.state.faults_for(upn).always_expire = enabled

    def revoke(self, client_id: str, revoked: bool = True) -> None:
        """The app's credentials stop working: the token endpoint answers 401 invalid_client."""
        self.state.find_app(client_id).revoked = revoked

    def revoke_access_tokens(self) -> int:
        """Every access token issued so far stops working at Graph (401), as after a sign-in
        revocation; the token endpoint keeps issuing new ones. Returns how many were revoked."""
        count = len(self.state.grants)
        self.state.grants.clear()
        return count

    def deny(self, upn: str, denied: bool = True) -> None:
        self.state.faults_for(upn).denied = denied

    def empty_pages(self, upn: str, count: int = 1, *, reset: bool = False) -> None:
        """The next `count` delta pages are empty with a nextLink (`reset`: none any more)."""
        faults = self.state.faults_for(upn)
        faults.empty_pages = 0 if reset else faults.empty_pages + count

    def replay(self, upn: str, count: int = 5) -> None:
        """The next page re-sends up to `count` items the client has already received."""
        self.state.faults_for(upn).replay = count

    def set_latency(self, seconds: float) -> None:
        """Every Graph answer waits this long first."""
        self.state.latency_sec = seconds

    def set_notifications(self, enabled: bool) -> None:
        self.state.subscriptions.enabled = enabled

    async def lifecycle(self, subscription_id: str, event: str) -> int | None:
        return await self.state.subscriptions.lifecycle(subscription_id, event)

    def subscriptions_of(self, upn: str) -> list[JsonObject]:
        return [s.to_json() for s in self.state.subscriptions.by_id.values() if s.mailbox == upn.lower()]

    # --- ground truth and measurements ----------------------------------------------------------

    def ground_truth(self, upn: str) -> dict[str, list[JsonObject]]:
        """What the mailbox holds now, per folder and calendar, as full Graph items (immutable ids)."""
        mailbox = self.mailbox(upn)
        out: dict[str, list[JsonObject]] = {f: [] for f in (*MAIL_FOLDERS, CALENDAR)}
        for item in sorted(mailbox.items.values(), key=lambda i: i.created_seq):
            if item.folder is not None:
                out[item.folder].append({**item.data, "id": item.id})
        return out

    def requests(self, upn: str | None = None) -> list[RequestRecord]:
        return [r for r in self.state.requests if upn is None or r.mailbox == upn.lower()]

    def stats(self) -> dict[str, Any]:
        return {
            "requests": len(self.state.requests),
            "token_requests": self.state.token_requests,
            "subscriptions": len(self.state.subscriptions.by_id),
            "notifications_delivered": len(self.state.subscriptions.deliveries),
        }
