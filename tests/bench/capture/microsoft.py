"""The Microsoft 365 side of the capture benchmark."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx
import orjson

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.domain.window import calendar_window
from services.capture.providers.microsoft.parse import MESSAGE_SELECT
from tests.bench.capture.rawhttp import RawHttp

if TYPE_CHECKING:
    from tests.bench.capture.minimal import Sink

TENANT = "bench"
DOMAIN = "contoso.example"
PAGE_SIZE = 100


class MicrosoftBench:
    name = "microsoft"
    ceiling = (
        "a minimal HTTPS/1.1 client paging the same delta chains (mail per folder, calendarView), "
        "same page size and concurrency, JSON parsed and counted, nothing else"
    )

    def mailboxes(self, count: int) -> list[str]:
        return [f"rep{i:04d}@{DOMAIN}" for i in range(1, count + 1)]

    @staticmethod
    def _described(emulators: dict[str, Any]) -> dict[str, Any]:
        described: dict[str, Any] = emulators["emulators"]["microsoft"]
        return described

    def capture_env(self, emulators: dict[str, Any]) -> dict[str, str]:
        ms = self._described(emulators)
        return {
            "GT_CAPTURE_MICROSOFT_AUTHORITY_BASE": ms["authority_base"],
            "GT_CAPTURE_MICROSOFT_GRAPH_BASE_URL": ms["graph_base_url"],
            "GT_CAPTURE_MICROSOFT_CA_BUNDLE": ms["ca_bundle"],
            "GT_CAPTURE_MICROSOFT_PAGE_SIZE": str(PAGE_SIZE),
        }

    async def register(
        self,
        admin: capture_pb2_grpc.CaptureAdminAsyncStub,
        emulators: dict[str, Any],
        mailboxes: list[str],
        *,
        capture_url: str,
    ) -> None:
        org = self._described(emulators)["organisations"][0]
        app = org["apps"][0]
        await admin.SetCapturePolicy(
            capture_pb2.SetCapturePolicyRequest(
                policy=capture_pb2.CapturePolicy(tenant_id=TENANT, internal_domains=[DOMAIN])
            )
        )
        await admin.RegisterMicrosoftConnection(
            capture_pb2.RegisterMicrosoftConnectionRequest(
                tenant_id=TENANT,
                connection_id="bench",
                directory_tenant_id=org["tenant_id"],
                client_id=app["client_id"],
                client_secret=app["client_secret"],
            )
        )
        await admin.UpsertMailboxes(
            capture_pb2.UpsertMailboxesRequest(
                tenant_id=TENANT,
                connection_id="bench",
                mailboxes=[
                    capture_pb2.MailboxAssignment(address=m, rep_id=m.split("@")[0]) for m in mailboxes
                ],
            )
        )

    async def raw_read(
        self, emulators: dict[str, Any], mailboxes: list[str], *, concurrency: int, sink: Sink | None = None
    ) -> int:
        ms = self._described(emulators)
        org = ms["organisations"][0]
        app = org["apps"][0]
        verify = ssl.create_default_context(cafile=ms["ca_bundle"])
        client = RawHttp(ssl_context=verify, max_connections=256)
        try:
            form = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": app["client_id"],
                    "client_secret": app["client_secret"],
                    "scope": "https://graph.microsoft.com/.default",
                }
            )
            token = orjson.loads(
                await client.request(
                    "POST",
                    f"{ms['authority_base']}/{org['tenant_id']}/oauth2/v2.0/token",
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    form.encode(),
                )
            )
            headers = {
                "Authorization": f"Bearer {token['access_token']}",
                "Prefer": f'odata.maxpagesize={PAGE_SIZE}, IdType="ImmutableId", outlook.timezone="UTC"',
            }
            window = calendar_window(datetime.now(UTC), days_back=30, days_ahead=90, step_days=7)
            start, end = (w.strftime("%Y-%m-%dT%H:%M:%SZ") for w in (window.start, window.end))
            chains: list[tuple[str, str, str]] = []  # url, mailbox, what
            for mailbox in mailboxes:
                user = f"{ms['graph_base_url']}/users/{quote(mailbox, safe='@.')}"
                chains += [
                    (
                        f"{user}/mailFolders('{folder}')/messages/delta?$select={MESSAGE_SELECT}",
                        mailbox,
                        "message",
                    )
                    for folder in ("inbox", "sentitems")
                ]
                chains.append(
                    (f"{user}/calendarView/delta?startDateTime={start}&endDateTime={end}", mailbox, "event")
                )
            # The same admission as capture's backfill lane: `concurrency` pages in flight.
            pages = asyncio.Semaphore(concurrency)
            counts = await asyncio.gather(
                *(
                    _page_chain(client, url, headers, pages, sink, mailbox, what)
                    for url, mailbox, what in chains
                )
            )
        finally:
            await client.close()
        return sum(counts)

    async def add_item(self, control_url: str, mailbox: str) -> None:
        async with httpx.AsyncClient(base_url=f"{control_url}/microsoft", timeout=10) as client:
            response = await client.post(
                f"/mailboxes/{mailbox}/messages",
                json={"sender": "buyer@northwind.example", "to": [mailbox], "subject": "bench"},
            )
            response.raise_for_status()

    async def subscriptions(self, control_url: str) -> int:
        async with httpx.AsyncClient(base_url=f"{control_url}/microsoft", timeout=10) as client:
            return int((await client.get("/stats")).json()["subscriptions"])


async def _page_chain(
    client: RawHttp,
    url: str,
    headers: dict[str, str],
    pages: asyncio.Semaphore,
    sink: Sink | None,
    mailbox: str,
    what: str,
) -> int:
    """Items read along one delta chain; with a `sink`, each page is handed to it (while the page
    holds its slot, as capture publishes a page before asking for the next)."""
    count = 0
    next_url: str | None = url
    while next_url is not None:
        async with pages:
            body = orjson.loads(await client.get(next_url, headers))
            if sink is not None:
                await sink(mailbox, what, body["value"])
        count += len(body["value"])
        next_url = body.get("@odata.nextLink")
    return count
