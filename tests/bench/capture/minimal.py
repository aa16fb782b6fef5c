"""The fair client of the capture benchmark: what a user would write instead of capture.

`python -m tests.bench.capture.minimal --provider P --emulators FILE --mailboxes N --concurrency C
--bootstrap B --topic T` runs as its own process (its CPU is read from /proc like capture's). It
pages the same chains the same way as the raw ceiling (`raw_read` of the provider: same requests,
page sizes and concurrency, over the minimal keep-alive client of `rawhttp.py` and orjson), and for
every page builds one `Activity` protobuf per item (deterministic id, kind, times, participants,
provider ids) and produces them keyed tenant:rep to Kafka with `acks=all`, waiting for the broker's
acknowledgement before the page counts as done. No database, no sync state, no retries: the floor
under any capture that publishes what it reads.

It prints `ready` once started and waits for a line on stdin, so the driver measures from the same
starting line for both sides (the interpreter's start-up and imports excluded); it prints
`published N` when the broker acknowledged the last page, and exits at the next line on stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from groundtruth.activity.v1 import activity_pb2
from plumbing.kafka.producer import create_producer
from plumbing.kafka.publisher import KeyedBatchPublisher
from plumbing.kafka.records import protobuf_headers, record_key

# (mailbox, "message" | "event", the provider's JSON items of one page) -> when published
Sink = Callable[[str, str, Sequence[dict[str, Any]]], Awaitable[None]]
_KIND = activity_pb2.ActivityKind
_HEADERS = protobuf_headers(activity_pb2.Activity())


def _instant(text: str) -> datetime:
    # Graph and Calendar both start with YYYY-MM-DDTHH:MM:SS; finer digits do not matter here.
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


def _activity(
    tenant: str,
    provider: int,
    mailbox: str,
    item_id: str,
    kind: int,
    occurred: datetime,
    addresses: list[str],
) -> activity_pb2.Activity:
    identity = hashlib.sha256(f"{tenant}|{provider}|{mailbox}|{item_id}".encode()).hexdigest()
    activity = activity_pb2.Activity(
        id=identity, event_id=identity, tenant_id=tenant, rep_id=mailbox.split("@")[0], mailbox=mailbox,
        kind=kind, provider=provider,  # type: ignore[arg-type]
        participants=[activity_pb2.Participant(address=a.lower()) for a in addresses if a],
    )  # fmt: skip
    activity.occurred_at.FromDatetime(occurred)
    activity.provider_ids.item_id = item_id
    return activity


def microsoft_activities(
    tenant: str, mailbox: str, what: str, items: Sequence[dict[str, Any]]
) -> list[bytes]:
    out: list[bytes] = []
    for item in items:
        if "@removed" in item:
            continue
        if what == "message":
            sender = ((item.get("from") or {}).get("emailAddress") or {}).get("address", "")
            to = [r["emailAddress"]["address"] for r in item.get("toRecipients") or ()]
            sent = sender.lower() == mailbox
            kind = _KIND.ACTIVITY_KIND_EMAIL_SENT if sent else _KIND.ACTIVITY_KIND_EMAIL_RECEIVED
            when = item.get("sentDateTime" if sent else "receivedDateTime") or item["lastModifiedDateTime"]
            activity = _activity(tenant, 1, mailbox, item["id"], kind, _instant(when), [sender, *to])
        else:
            attendees = [a["emailAddress"]["address"] for a in item.get("attendees") or ()]
            start = (item.get("start") or {}).get("dateTime") or item["lastModifiedDateTime"]
            activity = _activity(
                tenant, 1, mailbox, item["id"], _KIND.ACTIVITY_KIND_MEETING, _instant(start), attendees
            )
        out.append(activity.SerializeToString())
    return out


def google_activities(tenant: str, mailbox: str, what: str, items: Sequence[dict[str, Any]]) -> list[bytes]:
    out: list[bytes] = []
    for item in items:
        if what == "message":
            headers = {
                h["name"].lower(): h["value"] for h in (item.get("payload") or {}).get("headers") or ()
            }
            sender = headers.get("from", "")
            sent = mailbox in sender.lower()
            kind = _KIND.ACTIVITY_KIND_EMAIL_SENT if sent else _KIND.ACTIVITY_KIND_EMAIL_RECEIVED
            occurred = datetime.fromtimestamp(int(item.get("internalDate", "0")) / 1000, tz=UTC)
            addresses = [sender, *headers.get("to", "").split(","), *headers.get("cc", "").split(",")]
            activity = _activity(
                tenant, 2, mailbox, item["id"], kind, occurred, [a.strip() for a in addresses]
            )
        else:
            if item.get("status") == "cancelled":
                continue
            attendees = [a.get("email", "") for a in item.get("attendees") or ()]
            start = (item.get("start") or {}).get("dateTime") or (item.get("start") or {}).get("date", "")
            when = _instant(start) if len(start) >= 19 else datetime.fromisoformat(start).replace(tzinfo=UTC)
            activity = _activity(tenant, 2, mailbox, item["id"], _KIND.ACTIVITY_KIND_MEETING, when, attendees)
        out.append(activity.SerializeToString())
    return out


async def run(args: argparse.Namespace, emulators: dict[str, Any]) -> int:
    from tests.bench.capture.__main__ import PROVIDERS  # the provider's own raw reader, same requests

    provider = PROVIDERS[args.provider]()
    mailboxes = provider.mailboxes(args.mailboxes)
    build = microsoft_activities if args.provider == "microsoft" else google_activities
    producer = create_producer(args.bootstrap, enable_idempotence=True, client_id="bench-minimal")
    await producer.start()
    publisher = KeyedBatchPublisher(producer)
    published = 0

    async def sink(mailbox: str, what: str, items: Sequence[dict[str, Any]]) -> None:
        nonlocal published
        values = build(args.tenant, mailbox, what, items)
        key = record_key(args.tenant, mailbox.split("@")[0])
        await publisher.publish(args.topic, [(key, v) for v in values], _HEADERS)
        published += len(values)

    try:
        await producer.partitions_for(args.topic)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await provider.raw_read(emulators, mailboxes, concurrency=args.concurrency, sink=sink)
        print(f"published {published}", flush=True)
        # Stay until told: the driver reads this process's CPU from /proc before it goes.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    finally:
        await producer.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("provider", "emulators", "bootstrap", "topic", "tenant"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--mailboxes", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    args = parser.parse_args()
    gc.freeze()
    return asyncio.run(run(args, json.loads(Path(args.emulators).read_text())))


if __name__ == "__main__":
    sys.exit(main())
