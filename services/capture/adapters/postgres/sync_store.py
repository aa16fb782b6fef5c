"""`SyncStore` over asyncpg: cursors, published items, status and subscriptions in schema `capture`.

Each public method is one transaction (or one statement) and raises `StoreUnavailable` for a transient
database failure (`translate_store_errors`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from plumbing.db.pool import Pool
from services.capture.adapters.postgres.errors import translate_store_errors
from services.capture.adapters.postgres.rows import (
    MAILBOX_COLUMNS,
    STATUS_COLUMNS,
    mailbox_from,
    policy_from,
    status_from,
)
from services.capture.adapters.secret_box import SecretBox
from services.capture.domain.items import (
    CapturedItem,
    Direction,
    ItemKind,
    KnownItem,
    MeetingItem,
    item_from_json,
    item_to_json,
)
from services.capture.domain.privacy import CapturePolicy
from services.capture.domain.quarantine import Rejected
from services.capture.domain.status import MailboxStatus
from services.capture.ports import ConnectionInfo, StoredCursor, StoredSubscription, SyncTarget

SYNC_TARGETS = f"""
SELECT {MAILBOX_COLUMNS}, c.updated_at AS connection_version
FROM mailboxes m JOIN connections c USING (connection_id)
ORDER BY m.mailbox_id
"""
CONNECTION = """
SELECT connection_id, tenant_id, provider, directory_tenant_id, client_id, workspace_domain,
       service_account_email, credential, updated_at
FROM connections WHERE connection_id = $1
"""
TENANT_POLICY = "SELECT * FROM capture_policies WHERE tenant_id = $1"
REP_EXCLUSIONS = "SELECT * FROM rep_exclusions WHERE tenant_id = $1 AND rep_id = $2"
CURSORS = "SELECT * FROM cursors WHERE mailbox_id = $1"
KNOWN_ITEMS = "SELECT * FROM items WHERE mailbox_id = $1 AND item_id = ANY($2::text[])"
KNOWN_IN_SERIES = "SELECT * FROM items WHERE mailbox_id = $1 AND series_id = $2"
UNSEEN_ITEMS = "SELECT item_id FROM items WHERE mailbox_id = $1 AND stream = $2 AND generation < $3"
# A page's whole commit in one statement, so one round trip and the statement's own transaction
# instead of BEGIN, up to four statements and COMMIT on a pooled connection (a tenth of capture's CPU
# went to the per-page commit). Data-modifying WITH clauses all run to completion against the same
# snapshot, so an id both remembered and forgotten in one page (updated, then removed) is left out
# of the upsert: the outcome is the one of upserting first and deleting after, as before.
COMMIT_PAGE = """
WITH remembered AS (
    INSERT INTO items (mailbox_id, item_id, stream, kind, direction, occurred_at, modified_at, content_hash,
                       generation, snapshot, series_id)
    SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                               $7::timestamptz[], $8::text[], $9::int[], $10::bytea[], $11::text[])
                        AS u(item_id, stream, kind, direction, occurred_at, modified_at, content_hash,
                             generation, snapshot, series_id)
    WHERE u.item_id <> ALL($12::text[])
    ON CONFLICT (mailbox_id, item_id) DO UPDATE SET
        stream = EXCLUDED.stream, kind = EXCLUDED.kind, direction = EXCLUDED.direction,
        occurred_at = EXCLUDED.occurred_at, modified_at = EXCLUDED.modified_at,
        content_hash = EXCLUDED.content_hash, generation = EXCLUDED.generation, snapshot = EXCLUDED.snapshot,
        series_id = EXCLUDED.series_id
    RETURNING 1
), forgotten AS (
    DELETE FROM items WHERE mailbox_id = $1 AND item_id = ANY($12::text[]) RETURNING 1
), counted AS (
    -- Captured and quarantined items in one upsert: two upserts of one row in one statement would clash.
    INSERT INTO sync_status (mailbox_id, items_captured, items_rejected, last_reject_reason, last_reject_at)
    SELECT $1, $20::int, $21::int, $22::text, $23::timestamptz WHERE $20::int > 0 OR $21::int > 0
    ON CONFLICT (mailbox_id) DO UPDATE SET
        items_captured = sync_status.items_captured + EXCLUDED.items_captured,
        items_rejected = sync_status.items_rejected + EXCLUDED.items_rejected,
        last_reject_reason = CASE WHEN EXCLUDED.items_rejected > 0 THEN EXCLUDED.last_reject_reason
                                  ELSE sync_status.last_reject_reason END,
        last_reject_at = CASE WHEN EXCLUDED.items_rejected > 0 THEN EXCLUDED.last_reject_at
                              ELSE sync_status.last_reject_at END
    RETURNING 1
)
INSERT INTO cursors (mailbox_id, stream, cursor, scope, complete, full_round, generation,
                     consecutive_expiries, updated_at)
VALUES ($1, $13, $14, $15, $16, $17, $18, $19, now())
ON CONFLICT (mailbox_id, stream) DO UPDATE SET
    cursor = EXCLUDED.cursor, scope = EXCLUDED.scope, complete = EXCLUDED.complete,
    full_round = EXCLUDED.full_round, generation = EXCLUDED.generation,
    consecutive_expiries = EXCLUDED.consecutive_expiries, updated_at = now()
"""
UPSERT_CURSOR = """
INSERT INTO cursors (mailbox_id, stream, cursor, scope, complete, full_round, generation,
                     consecutive_expiries, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
ON CONFLICT (mailbox_id, stream) DO UPDATE SET
    cursor = EXCLUDED.cursor, scope = EXCLUDED.scope, complete = EXCLUDED.complete,
    full_round = EXCLUDED.full_round, generation = EXCLUDED.generation,
    consecutive_expiries = EXCLUDED.consecutive_expiries, updated_at = now()
"""
RESET_CURSORS = """
UPDATE cursors SET cursor = NULL, complete = false, full_round = true, generation = generation + 1,
                   consecutive_expiries = 0, updated_at = now()
WHERE mailbox_id = $1
"""
STATUS = f"SELECT {STATUS_COLUMNS} FROM sync_status s WHERE s.mailbox_id = $1"
SAVE_STATUS = """
INSERT INTO sync_status (mailbox_id, state, last_success_at, last_error, last_error_at, resyncs, throttles,
                         errors, caught_up_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
ON CONFLICT (mailbox_id) DO UPDATE SET
    state = EXCLUDED.state, last_success_at = EXCLUDED.last_success_at, last_error = EXCLUDED.last_error,
    last_error_at = EXCLUDED.last_error_at, resyncs = EXCLUDED.resyncs, throttles = EXCLUDED.throttles,
    errors = EXCLUDED.errors, caught_up_at = EXCLUDED.caught_up_at, updated_at = now()
"""
SUBSCRIPTIONS = "SELECT * FROM subscriptions WHERE mailbox_id = $1"
ALL_SUBSCRIPTIONS = "SELECT * FROM subscriptions"
SAVE_SUBSCRIPTION = """
INSERT INTO subscriptions (mailbox_id, resource, provider_id, client_state, created_at, expires_at,
                           provider_data)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (mailbox_id, resource) DO UPDATE SET
    provider_id = EXCLUDED.provider_id, client_state = EXCLUDED.client_state,
    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
    provider_data = EXCLUDED.provider_data
"""


def _snapshot_json(known: KnownItem) -> bytes:
    # bytea rather than jsonb: nothing queries inside it, so the server need not parse it.
    return orjson.dumps(item_to_json(known.snapshot, when=_orjson_date)) if known.snapshot else b"null"


def _orjson_date(value: datetime) -> object:
    """A UTC datetime as it is: orjson writes it as exactly the text `isoformat()` gives, in C, about
    a microsecond less per date (three dates per item). Any other offset as `isoformat()` text,
    since orjson drops the seconds of an offset."""
    return value if value.tzinfo is UTC else value.isoformat()


_KINDS = {k: k.value for k in ItemKind}
_DIRECTIONS = {d: d.value for d in Direction}


def _item_columns(remember: Sequence[KnownItem], generation: int) -> list[list[Any]]:
    """The item columns of COMMIT_PAGE, built in one pass (this runs for every captured item)."""
    ids, streams, kinds, directions, occurred, modified, hashes, snapshots, series = ([] for _ in range(9))
    for k in remember:
        ids.append(k.item_id)
        streams.append(k.stream)
        kinds.append(_KINDS[k.kind])
        directions.append(_DIRECTIONS[k.direction] if k.direction else None)
        occurred.append(k.occurred_at)
        modified.append(k.modified_at)
        hashes.append(k.content_hash)
        snapshots.append(_snapshot_json(k))
        series.append(_series_of(k))
    generations = [generation] * len(ids)
    return [ids, streams, kinds, directions, occurred, modified, hashes, generations, snapshots, series]


def _series_of(known: KnownItem) -> str:
    snapshot = known.snapshot
    return snapshot.series_id if isinstance(snapshot, MeetingItem) else ""


def _snapshot_from(raw: bytes) -> CapturedItem | None:
    parsed = orjson.loads(raw)
    return item_from_json(parsed) if parsed else None


def _cursor_args(mailbox_id: int, stream: str, c: StoredCursor) -> tuple[object, ...]:
    return (
        mailbox_id,
        stream,
        c.value,
        c.scope,
        c.complete,
        c.full_round,
        c.generation,
        c.consecutive_expiries,
    )


class PostgresSyncStore:
    """`SyncStore` (ports/sync_store.py) on capture's pool; credentials and client states are opened
    with the secret box, so reading them may raise `SecretsUnavailable`."""

    def __init__(self, pool: Pool, secrets: SecretBox) -> None:
        self._pool = pool
        self._secrets = secrets

    @translate_store_errors
    async def sync_targets(self) -> list[SyncTarget]:
        rows = await self._pool.fetch(SYNC_TARGETS)
        return [SyncTarget(mailbox_from(r), r["connection_version"].isoformat()) for r in rows]

    @translate_store_errors
    async def connection(self, connection_id: str) -> ConnectionInfo | None:
        row = await self._pool.fetchrow(CONNECTION, connection_id)
        if row is None:
            return None
        return ConnectionInfo(
            connection_id=row["connection_id"],
            tenant_id=row["tenant_id"],
            provider=row["provider"],
            credential=self._secrets.open(row["credential"]),
            version=row["updated_at"].isoformat(),
            directory_tenant_id=row["directory_tenant_id"],
            client_id=row["client_id"],
            workspace_domain=row["workspace_domain"],
            service_account_email=row["service_account_email"],
        )

    @translate_store_errors
    async def policy(self, tenant_id: str, rep_id: str) -> CapturePolicy:
        async with self._pool.acquire() as conn:
            tenant = await conn.fetchrow(TENANT_POLICY, tenant_id)
            rep = await conn.fetchrow(REP_EXCLUSIONS, tenant_id, rep_id)
        return policy_from(tenant, rep)

    @translate_store_errors
    async def cursors(self, mailbox_id: int) -> dict[str, StoredCursor]:
        rows = await self._pool.fetch(CURSORS, mailbox_id)
        return {
            r["stream"]: StoredCursor(
                value=r["cursor"],
                scope=r["scope"],
                complete=r["complete"],
                full_round=r["full_round"],
                generation=r["generation"],
                consecutive_expiries=r["consecutive_expiries"],
            )
            for r in rows
        }

    @translate_store_errors
    async def known_items(self, mailbox_id: int, item_ids: Collection[str]) -> dict[str, KnownItem]:
        if not item_ids:
            return {}
        return self._known(await self._pool.fetch(KNOWN_ITEMS, mailbox_id, list(item_ids)))

    @translate_store_errors
    async def known_in_series(self, mailbox_id: int, series_id: str) -> dict[str, KnownItem]:
        if not series_id:
            return {}
        return self._known(await self._pool.fetch(KNOWN_IN_SERIES, mailbox_id, series_id))

    @staticmethod
    def _known(rows: Sequence[asyncpg.Record]) -> dict[str, KnownItem]:
        return {
            r["item_id"]: KnownItem(
                item_id=r["item_id"],
                stream=r["stream"],
                kind=ItemKind(r["kind"]),
                occurred_at=r["occurred_at"],
                modified_at=r["modified_at"],
                content_hash=r["content_hash"],
                direction=Direction(r["direction"]) if r["direction"] else None,
                snapshot=_snapshot_from(r["snapshot"]),
            )
            for r in rows
        }

    @translate_store_errors
    async def unseen_items(self, mailbox_id: int, stream: str, generation: int) -> list[str]:
        return [r["item_id"] for r in await self._pool.fetch(UNSEEN_ITEMS, mailbox_id, stream, generation)]

    @translate_store_errors
    async def commit_page(
        self,
        mailbox_id: int,
        stream: str,
        cursor: StoredCursor,
        *,
        remember: Sequence[KnownItem],
        forget: Sequence[str],
        published: int,
        rejected: Sequence[Rejected] = (),
        at: datetime | None = None,
    ) -> None:
        last_reason = rejected[-1].reason.value if rejected else ""
        await self._pool.execute(
            COMMIT_PAGE,
            mailbox_id,
            *_item_columns(remember, cursor.generation),
            list(forget),
            *_cursor_args(mailbox_id, stream, cursor)[1:],
            published,
            len(rejected),
            last_reason,
            at if rejected else None,
        )

    @translate_store_errors
    async def save_cursor(self, mailbox_id: int, stream: str, cursor: StoredCursor) -> None:
        await self._pool.execute(UPSERT_CURSOR, *_cursor_args(mailbox_id, stream, cursor))

    @translate_store_errors
    async def reset_cursors(self, mailbox_id: int) -> None:
        await self._pool.execute(RESET_CURSORS, mailbox_id)

    @translate_store_errors
    async def status(self, mailbox_id: int) -> MailboxStatus:
        return status_from(await self._pool.fetchrow(STATUS, mailbox_id))

    @translate_store_errors
    async def save_status(self, mailbox_id: int, status: MailboxStatus) -> None:
        await self._pool.execute(
            SAVE_STATUS,
            mailbox_id,
            status.state.value,
            status.last_success_at,
            status.last_error,
            status.last_error_at,
            status.resyncs,
            status.throttles,
            status.errors,
            status.caught_up_at,
        )

    def _subscription(self, r: asyncpg.Record) -> StoredSubscription:
        return StoredSubscription(
            mailbox_id=r["mailbox_id"],
            resource=r["resource"],
            provider_id=r["provider_id"],
            client_state=self._secrets.open(r["client_state"])["client_state"],
            created_at=r["created_at"],
            expires_at=r["expires_at"],
            provider_data=r["provider_data"],
        )

    @translate_store_errors
    async def subscriptions(self, mailbox_id: int) -> list[StoredSubscription]:
        return [self._subscription(r) for r in await self._pool.fetch(SUBSCRIPTIONS, mailbox_id)]

    @translate_store_errors
    async def all_subscriptions(self) -> list[StoredSubscription]:
        return [self._subscription(r) for r in await self._pool.fetch(ALL_SUBSCRIPTIONS)]

    @translate_store_errors
    async def save_subscription(self, subscription: StoredSubscription) -> None:
        await self._pool.execute(
            SAVE_SUBSCRIPTION,
            subscription.mailbox_id,
            subscription.resource,
            subscription.provider_id,
            self._secrets.seal({"client_state": subscription.client_state}),
            subscription.created_at,
            subscription.expires_at,
            subscription.provider_data,
        )
