"""The write-back feed: its page of stored activity rows, as MatchedActivity messages (for the
ListMatchedActivities RPC) or as their serialized bytes (for the relay to gt.activity.matched.v1)."""

from __future__ import annotations

import asyncpg

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.proto_mapping import set_match, timestamp
from services.scoring.domain.matching import decode_links, match_from_links

_ACTIVITY_FIELD = 5  # MatchedActivity.activity

FEED = """
SELECT id, tenant_id, rep_id, occurred_at, stored_at, payload, match_links, feed_sequence FROM activities
WHERE tenant_id = $1 AND feed_sequence > $2 AND ($3 = '' OR rep_id = $3)
ORDER BY feed_sequence LIMIT $4
"""


async def feed_rows(
    db: Connection | Pool, *, tenant_id: str, after: int, limit: int, rep_id: str = ""
) -> list[asyncpg.Record]:
    """Feed rows after position `after`, in feed order; of one rep when `rep_id` is not ""."""
    return list(await db.fetch(FEED, tenant_id, after, rep_id, limit))


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _envelope(row: asyncpg.Record) -> scoring_pb2.MatchedActivity:
    match = match_from_links(decode_links(row["match_links"]))
    message = scoring_pb2.MatchedActivity(
        event_id=f"{row['id']}:{row['feed_sequence']}",
        tenant_id=row["tenant_id"],
        occurred_at=timestamp(row["occurred_at"]),
        observed_at=timestamp(row["stored_at"]),
        feed_sequence=row["feed_sequence"],
    )
    set_match(message, match)
    return message


def matched_activity_bytes(row: asyncpg.Record) -> bytes:
    """The serialized MatchedActivity, with the stored Activity bytes spliced in unparsed.

    Protobuf allows fields in any order, so appending field 5 to the envelope is a valid message.
    """
    payload = bytes(row["payload"])
    tag = (_ACTIVITY_FIELD << 3) | 2  # length-delimited
    return _envelope(row).SerializeToString() + bytes([tag]) + _varint(len(payload)) + payload


def matched_activity(row: asyncpg.Record) -> scoring_pb2.MatchedActivity:
    message = _envelope(row)
    message.activity.CopyFrom(activity_pb2.Activity.FromString(row["payload"]))
    return message
