"""Conversions between domain values and PostgreSQL rows (columns in table order)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from groundtruth.crm.v1 import crm_pb2
from services.scoring.domain.activities import ActivityRow
from services.scoring.domain.crm_events import ConfigUpdate
from services.scoring.domain.duplicates import name_key
from services.scoring.domain.ingest_plan import StoredConfig
from services.scoring.domain.instants import datetime_to_us, us_to_datetime
from services.scoring.domain.matching import Match, decode_links, encode_links, match_from_links
from services.scoring.domain.records import ContactRole, CrmRecord, ObjectType

RECORD_COLUMNS = (
    "tenant_id", "object_type", "crm_id", "version_us", "version_event", "deleted", "owner_rep_id",
    "name", "fields", "modified_at", "created_at", "domains", "email", "account_crm_id", "stage",
    "amount", "currency", "close_date", "is_closed", "is_won", "next_step", "contact_roles", "name_key",
    "next_step_date",
)  # fmt: skip

# Times as integer microseconds, computed by PostgreSQL: cheaper than decoding a timestamptz into a
# datetime and converting that in Python, for every stored row a batch compares or re-matches.
_US_OF = "(extract(epoch FROM {0}) * 1000000)::bigint AS {0}_us"
ACTIVITY_STATE_COLUMNS = (
    f"id, tenant_id, rep_id, kind, provider, {_US_OF.format('occurred_at')}, "
    f"{_US_OF.format('source_modified_at')}, event_id, is_cancelled, is_deletion, counts_as_meeting, "
    "is_external, addresses, match_links, feed_sequence"
)


def record_row(r: CrmRecord) -> tuple[Any, ...]:
    return (
        r.tenant_id, r.object_type.value, r.crm_id, r.version[0], r.version[1], r.deleted,
        r.owner_rep_id, r.name, json.dumps(dict(r.fields), sort_keys=True),
        us_to_datetime(r.modified_us), us_to_datetime(r.created_us) if r.created_us else None,
        list(r.domains), r.email, r.account_crm_id, r.stage, r.amount, r.currency, r.close_date,
        r.is_closed, r.is_won, r.next_step,
        json.dumps([[c.contact_crm_id, c.role, c.is_primary] for c in r.contact_roles]),
        name_key(r.name), r.next_step_date,
    )  # fmt: skip


# Whether required field `f` of opportunity `r` (a crm_records row) is filled: the CRM sent a
# non-blank value, or, for the fields the plugin may leave out, the standard column has one.
REQUIRED_FIELD_FILLED = """CASE
    WHEN r.fields ? f THEN btrim(r.fields ->> f) <> ''
    WHEN f = 'NextStep' THEN btrim(r.next_step) <> ''
    WHEN f = 'CloseDate' THEN r.close_date IS NOT NULL
    WHEN f = 'Amount' THEN r.amount <> 0
    WHEN f = 'StageName' THEN btrim(r.stage) <> ''
    ELSE false END"""

# What matching reads of a record: every column but the free-form fields (the largest, and unused).
MATCH_RECORD_COLUMNS = ", ".join(c for c in RECORD_COLUMNS if c not in ("fields", "name_key"))
_OBJECT_TYPES = {t.value: t for t in ObjectType}  # a dict lookup: calling the enum is slow on hot paths
_NO_ROLES = "[]"


def record_from_row(row: asyncpg.Record, *, with_fields: bool = True) -> CrmRecord:
    """`with_fields=False` skips the free-form fields (matching never reads them; parsing is costly);
    the row may then come from a `MATCH_RECORD_COLUMNS` select."""
    created_at = row["created_at"]
    roles = row["contact_roles"]
    return CrmRecord(
        row["tenant_id"],
        _OBJECT_TYPES[row["object_type"]],
        row["crm_id"],
        (row["version_us"], row["version_event"]),
        row["deleted"],
        row["owner_rep_id"],
        row["name"],
        json.loads(row["fields"]) if with_fields else {},
        datetime_to_us(row["modified_at"]),
        datetime_to_us(created_at) if created_at else 0,
        tuple(row["domains"]),
        row["email"],
        row["account_crm_id"],
        row["stage"],
        row["amount"],
        row["currency"],
        row["close_date"],
        row["is_closed"],
        row["is_won"],
        row["next_step"],
        () if roles == _NO_ROLES else tuple(ContactRole(c, r, p) for c, r, p in json.loads(roles)),
        row["next_step_date"],
    )


CONFIG_COLUMNS = "tenant_id, version, version_event, config"


def stored_config_from_row(row: asyncpg.Record) -> StoredConfig:
    """A `CONFIG_COLUMNS` row of tenant_configs."""
    return StoredConfig(
        row["tenant_id"],
        (row["version"], row["version_event"]),
        ConfigUpdate(crm_pb2.TenantConfig.FromString(row["config"])),
    )


def activity_state_from_row(row: asyncpg.Record, *, payload: bytes | None = None) -> ActivityRow:
    """An `ACTIVITY_STATE_COLUMNS` row of activities (positional: this runs for every row read)."""
    return ActivityRow(
        row[0], row[1], row[2], row[3], row[4], row[5], (row[6], row[7]), row[8], row[9], row[10],
        row[11], match_of_links(row[13]), tuple(row[12]), row[14], payload,
    )  # fmt: skip


@lru_cache(maxsize=8192)
def match_of_links(text: str) -> Match:
    """The match stored as `text` (see `encode_links`). Cached: many activities share a match (those
    with one contact, one account), and a `Match` is immutable, so rows may share one."""
    return match_from_links(decode_links(text))


def activity_stage_row(r: ActivityRow) -> tuple[Any, ...]:
    """A row of the activities staging table (times as microseconds)."""
    match = r.match
    return (
        r.id, r.tenant_id, r.rep_id, r.kind, r.provider, r.occurred_us, r.version[0], r.version[1],
        r.is_cancelled, r.is_deletion, r.counts_as_meeting, r.is_external, list(r.addresses),
        list(match.contact_ids), match.account_id, match.opportunity_id, encode_links(match.links),
        r.feed_sequence, r.payload,
    )  # fmt: skip


ACTIVITY_COLUMNS = (
    "id", "tenant_id", "rep_id", "kind", "provider", "occurred_at", "source_modified_at", "event_id",
    "is_cancelled", "is_deletion", "counts_as_meeting", "is_external", "addresses", "contact_crm_ids",
    "account_crm_id", "opportunity_crm_id", "match_links", "feed_sequence", "payload",
)  # fmt: skip


# Separates the elements of a `text[]` column sent as one text (`string_to_array` in SQL): asyncpg
# encodes a list element by element (checking each against the collection ABCs), several times the
# cost of one joined string.
ARRAY_SEPARATOR = "\x1f"


def split_sql(expression: str) -> str:
    """SQL turning a text joined by `ARRAY_SEPARATOR` (see `joined_text`) back into its `text[]`."""
    return f"string_to_array({expression}, E'\\x1f')"


def joined_text(values: Sequence[str]) -> str | None:
    """`values` as one text that `string_to_array(text, ARRAY_SEPARATOR)` turns back into exactly
    `values`; None when it cannot (an element holding the separator, or a lone empty element)."""
    if not values:
        return ""
    text = ARRAY_SEPARATOR.join(values)
    return text if text and text.count(ARRAY_SEPARATOR) == len(values) - 1 else None


NEW_ACTIVITY_STAGE_COLUMNS = (
    "id", "tenant_id", "rep_id", "kind", "provider", "occurred_us", "modified_us", "event_id",
    "is_cancelled", "is_deletion", "counts_as_meeting", "is_external", "addresses", "address_keys",
    "contact_crm_ids", "account_crm_id", "opportunity_crm_id", "match_links", "feed_sequence", "payload",
)  # fmt: skip


def new_activity_stage_row(r: ActivityRow) -> tuple[Any, ...] | None:
    """A row of the new activities' staging table: times as microseconds, the `text[]` columns as
    joined texts, and the address index keys (each address reversed) as the addresses' text reversed.
    None when the lists cannot travel joined (see `joined_text`)."""
    match = r.match
    addresses = joined_text(r.addresses)
    contacts = joined_text(match.contact_ids)
    if addresses is None or contacts is None:
        return None
    return (
        r.id, r.tenant_id, r.rep_id, r.kind, r.provider, r.occurred_us, r.version[0], r.version[1],
        r.is_cancelled, r.is_deletion, r.counts_as_meeting, r.is_external, addresses, addresses[::-1],
        contacts, match.account_id, match.opportunity_id, encode_links(match.links), r.feed_sequence,
        r.payload,
    )  # fmt: skip


def activity_row(r: ActivityRow) -> tuple[Any, ...]:
    """A row of the activities table itself, for COPY (`stored_at` takes its default, now())."""
    match = r.match
    return (
        r.id, r.tenant_id, r.rep_id, r.kind, r.provider, us_to_datetime(r.occurred_us),
        us_to_datetime(r.version[0]), r.version[1], r.is_cancelled, r.is_deletion, r.counts_as_meeting,
        r.is_external, list(r.addresses), list(match.contact_ids), match.account_id, match.opportunity_id,
        encode_links(match.links), r.feed_sequence, r.payload,
    )  # fmt: skip
