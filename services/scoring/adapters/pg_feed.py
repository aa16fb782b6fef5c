"""The write-back feed as MatchedActivity messages, built from stored activity rows."""

from __future__ import annotations

import asyncpg

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.adapters.proto_mapping import set_match, timestamp
from services.scoring.domain.matching import decode_links, match_from_links

_ACTIVITY_FIELD = 5  # MatchedActivity.activity


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
