"""The fair client of the scoring benchmark: what a user would write instead of the scoring service.

`python -m tests.bench.plain_consumer --bootstrap ... --database-url ... --table ... --group ...
--activity-topic ... --crm-topic ... --total N` runs as its own process (so its CPU is its own, read
from /proc like the service's): a plain aiokafka consumer of both topics that fetches a batch,
decodes every record's protobuf, builds one row per event shaped as scoring's activities (the same
table definition: columns, primary key, indexes), COPYs the batch into PostgreSQL and commits the
offsets after the COPY, as the service does. Once `--total` records are committed it idles until
terminated, so the driver can read its CPU time from /proc while it still exists. No
dedupe (a redelivered batch would fail on the primary key), no versioning, no matching, no counters:
the floor under any ingest that stores events, and the figure the issue's targets are ratios to.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2

COPY_COLUMNS = (
    "id", "tenant_id", "rep_id", "kind", "provider", "occurred_at", "source_modified_at", "is_cancelled",
    "is_deletion", "payload", "stored_at", "event_id", "counts_as_meeting", "is_external", "addresses",
    "contact_crm_ids", "account_crm_id", "opportunity_crm_id", "match_links", "feed_sequence",
)  # fmt: skip
MEETING = 3


def activity_row(value: bytes, now: datetime) -> tuple[object, ...]:
    event = activity_pb2.Activity.FromString(value)
    occurred = event.occurred_at.ToDatetime(tzinfo=UTC)
    modified = (
        event.source_modified_at.ToDatetime(tzinfo=UTC) if event.HasField("source_modified_at") else occurred
    )
    addresses = [p.address for p in event.participants if not p.is_internal]
    return (
        event.id, event.tenant_id, event.rep_id, int(event.kind), int(event.provider), occurred, modified,
        event.is_cancelled, event.is_deletion, value, now, event.event_id or event.id, event.kind == MEETING,
        bool(addresses), addresses, [], "", "", "", 0,
    )  # fmt: skip


def crm_row(value: bytes, now: datetime) -> tuple[object, ...]:
    event = crm_pb2.CrmEvent.FromString(value)
    occurred = event.occurred_at.ToDatetime(tzinfo=UTC)
    return (
        event.event_id, event.tenant_id, event.rep_id, 0, 0, occurred, occurred, False, False, value, now,
        event.event_id, False, False, [], [], "", "", "", 0,
    )  # fmt: skip


async def consume(args: argparse.Namespace) -> None:
    consumer = AIOKafkaConsumer(
        args.activity_topic, args.crm_topic, bootstrap_servers=args.bootstrap, group_id=args.group,
        enable_auto_commit=False, auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024, fetch_max_bytes=32 * 1024 * 1024,
    )  # fmt: skip
    conn = await asyncpg.connect(args.database_url)
    await consumer.start()
    try:
        done = 0
        while done < args.total:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=args.batch)
            if not fetched:
                continue
            now = datetime.now(UTC)
            rows: list[tuple[object, ...]] = []
            for partition, records in fetched.items():
                build = activity_row if partition.topic == args.activity_topic else crm_row
                rows += [build(r.value, now) for r in records if r.value is not None]
                done += len(records)
            schema, _, table = args.table.rpartition(".")
            await conn.copy_records_to_table(
                table, schema_name=schema or None, records=rows, columns=COPY_COLUMNS
            )
            await consumer.commit()
        await asyncio.Event().wait()  # until SIGTERM: /proc keeps its CPU time readable until then
    finally:
        await consumer.stop()
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("bootstrap", "database-url", "table", "group", "activity-topic", "crm-topic"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    gc.freeze()  # as the service does: objects alive after startup stay out of the collector's walks
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    asyncio.run(consume(args))


if __name__ == "__main__":
    main()
