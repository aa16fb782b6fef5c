"""The write-back feed: its page of stored activity rows, as MatchedActivity messages (for the
ListMatchedActivities RPC; the relay to gt.activity.matched.v1 writes the same messages' bytes
straight from its rows, see `matched_wire`)."""

from __future__ import annotations

import asyncpg

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.proto_mapping import set_match, timestamp
from services.scoring.domain.matching import decode_links, match_from_links

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


def matched_activity(row: asyncpg.Record) -> scoring_pb2.MatchedActivity:
    message = _envelope(row)
    message.activity.CopyFrom(activity_pb2.Activity.FromString(row["payload"]))
    return message
