"""The Google Workspace side of the capture benchmark.

The ceiling (`raw_read`) reads exactly what capture's backfill reads, the same way: per mailbox a
JWT-bearer token for the user, users.getProfile, messages.list pages with messages.get
(format=metadata, the same headers) for every listed message at most 4 at a time, and events.list
pages (singleEvents, no window) until the sync token; `concurrency` pages in flight process-wide, a
page holding its slot until its last request is answered, as capture's backfill lane does. It uses
a minimal keep-alive HTTP client (`rawhttp.py`) and orjson and does nothing with the answers but
parse and count them.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import orjson
from google.auth import crypt, jwt

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.providers.google.client import DEFAULT_SCOPES
from services.capture.providers.google.gmail import METADATA_HEADERS
from tests.bench.capture.rawhttp import RawHttp

if TYPE_CHECKING:
    from tests.bench.capture.minimal import Sink

TENANT = "bench-google"
DOMAIN = "acme.example"
GMAIL_PAGE_SIZE = 100
CALENDAR_PAGE_SIZE = 250
PER_MAILBOX = 4
PUSH_TOKEN = "bench-push-token"


class GoogleBench:
    name = "google"
    ceiling = (
        "a minimal HTTP/1.1 client reading what capture reads (token per user, profile, messages.list "
        "+ messages.get format=metadata per message, events.list pages), same page sizes and concurrency, "
        "JSON parsed and counted, nothing else"
    )

    def mailboxes(self, count: int) -> list[str]:
        return [f"rep{i:04d}@{DOMAIN}" for i in range(1, count + 1)]

    @staticmethod
    def _described(emulators: dict[str, Any]) -> dict[str, Any]:
        described: dict[str, Any] = emulators["emulators"]["google"]
        return described

    def capture_env(self, emulators: dict[str, Any]) -> dict[str, str]:
        google = self._described(emulators)
        return {
            "GT_CAPTURE_GOOGLE_TOKEN_URI": google["token_uri"],
            "GT_CAPTURE_GOOGLE_GMAIL_ENDPOINT": google["gmail_endpoint"],
            "GT_CAPTURE_GOOGLE_CALENDAR_ENDPOINT": google["calendar_endpoint"],
            "GT_CAPTURE_GOOGLE_PUBSUB_TOPIC": google["pubsub_topic"],
            "GT_CAPTURE_GOOGLE_PUBSUB_TOKEN": PUSH_TOKEN,
            "GT_CAPTURE_GOOGLE_GMAIL_PAGE_SIZE": str(GMAIL_PAGE_SIZE),
            "GT_CAPTURE_GOOGLE_CALENDAR_PAGE_SIZE": str(CALENDAR_PAGE_SIZE),
        }

    async def register(
        self,
        admin: capture_pb2_grpc.CaptureAdminAsyncStub,
        emulators: dict[str, Any],
        mailboxes: list[str],
        *,
        capture_url: str,
    ) -> None:
        google = self._described(emulators)
        async with httpx.AsyncClient(base_url=f"{emulators['control_url']}/google", timeout=10) as control:
            response = await control.post(
                "/_emulator/pubsub/subscriptions",
                json={
                    "topic": google["pubsub_topic"],
                    "endpoint": f"{capture_url}/webhooks/google/gmail?token={PUSH_TOKEN}",
                },
            )
            response.raise_for_status()
        await admin.SetCapturePolicy(
            capture_pb2.SetCapturePolicyRequest(
                policy=capture_pb2.CapturePolicy(tenant_id=TENANT, internal_domains=[DOMAIN])
            )
        )
        await admin.RegisterGoogleConnection(
            capture_pb2.RegisterGoogleConnectionRequest(
                tenant_id=TENANT,
                connection_id="bench-google",
                service_account_key_json=_read(google["key_file"]),
                workspace_domain=DOMAIN,
            )
        )
        await admin.UpsertMailboxes(
            capture_pb2.UpsertMailboxesRequest(
                tenant_id=TENANT,
                connection_id="bench-google",
                mailboxes=[
                    capture_pb2.MailboxAssignment(address=m, rep_id=m.split("@")[0]) for m in mailboxes
                ],
            )
        )

    async def raw_read(
        self, emulators: dict[str, Any], mailboxes: list[str], *, concurrency: int, sink: Sink | None = None
    ) -> int:
        google = self._described(emulators)
        key = json.loads(_read(google["key_file"]))
        signer = crypt.RSASigner.from_service_account_info(key)  # type: ignore[no-untyped-call]
        pages = asyncio.Semaphore(concurrency)
        client = RawHttp(max_connections=256)
        try:
            reader = _RawReader(client, google, key["client_email"], signer, pages, sink)
            counts = await asyncio.gather(*(reader.mailbox(m) for m in mailboxes))
        finally:
            await client.close()
        return sum(counts)

    async def add_item(self, control_url: str, mailbox: str) -> None:
        async with httpx.AsyncClient(base_url=f"{control_url}/google", timeout=10) as client:
            response = await client.post(
                "/_emulator/mail",
                json={"sender": "hank.scorpio@globex.example", "to": [mailbox], "subject": "bench"},
            )
            response.raise_for_status()

    async def subscriptions(self, control_url: str) -> int:
        async with httpx.AsyncClient(base_url=f"{control_url}/google", timeout=10) as client:
            stats = (await client.get("/_emulator/stats")).json()
            return int(stats["gmail_watches"]) + int(stats["calendar_channels"])


def _read(path: str) -> str:
    return Path(path).read_text()


class _RawReader:
    def __init__(
        self,
        client: RawHttp,
        google: dict[str, Any],
        issuer: str,
        signer: crypt.RSASigner,
        pages: asyncio.Semaphore,
        sink: Sink | None = None,
    ) -> None:
        self._client = client
        self._sink = sink
        self._gmail = f"{google['gmail_endpoint']}/gmail/v1/users/me"
        self._calendar = f"{google['calendar_endpoint']}calendars/primary/events"
        self._token_uri = google["token_uri"]
        self._issuer = issuer
        self._signer = signer
        self._pages = pages

    async def _token(self, user: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "sub": user,
            "scope": " ".join(DEFAULT_SCOPES),
            "aud": "https://oauth2.googleapis.com/token",
            "iat": now,
            "exp": now + 3600,
        }
        assertion = jwt.encode(self._signer, claims).decode()  # type: ignore[no-untyped-call]
        form = urlencode(
            {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        )
        answer = await self._client.request(
            "POST", self._token_uri, {"Content-Type": "application/x-www-form-urlencoded"}, form.encode()
        )
        return str(orjson.loads(answer)["access_token"])

    async def _get(self, url: str, headers: dict[str, str], params: Any = None) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(await self._client.get(url, headers, params))
        return parsed

    async def mailbox(self, user: str) -> int:
        headers = {"Authorization": f"Bearer {await self._token(user)}"}
        slots = asyncio.Semaphore(PER_MAILBOX)
        mail, meetings = await asyncio.gather(
            self._mail(user, headers, slots), self._meetings(user, headers, slots)
        )
        return mail + meetings

    async def _mail(self, user: str, headers: dict[str, str], slots: asyncio.Semaphore) -> int:
        async with self._pages, slots:
            await self._get(f"{self._gmail}/profile", headers)
        count, page = 0, None
        metadata = [("format", "metadata"), *(("metadataHeaders", h) for h in METADATA_HEADERS)]

        async def one(message_id: str) -> dict[str, Any]:
            async with slots:
                return await self._get(f"{self._gmail}/messages/{message_id}", headers, metadata)

        while True:
            async with self._pages:
                params = {"maxResults": GMAIL_PAGE_SIZE, "includeSpamTrash": "false"}
                if page:
                    params["pageToken"] = page
                async with slots:
                    listed = await self._get(f"{self._gmail}/messages", headers, params)
                ids = [str(m["id"]) for m in listed.get("messages", ())]
                messages = await asyncio.gather(*(one(i) for i in ids))
                if self._sink is not None:
                    await self._sink(user, "message", messages)
            count += len(ids)
            page = listed.get("nextPageToken")
            if not page:
                return count

    async def _meetings(self, user: str, headers: dict[str, str], slots: asyncio.Semaphore) -> int:
        count, page = 0, None
        while True:
            params: dict[str, Any] = {"singleEvents": "true", "maxResults": CALENDAR_PAGE_SIZE}
            if page:
                params["pageToken"] = page
            async with self._pages, slots:
                listed = await self._get(self._calendar, headers, params)
                if self._sink is not None:
                    await self._sink(user, "event", listed.get("items", ()))
            count += sum(1 for e in listed.get("items", ()) if e.get("status") != "cancelled")
            page = listed.get("nextPageToken")
            if not page:
                return count
