"""Which locks a batch's transaction takes, so several processes can ingest one tenant at once.

Most of a batch is *rep-local*: a rep's activities, away periods, logins, views, manual logs and
forecasts read and write only that rep's rows (its activities, counters, feed entries, dirty mark),
plus the tenant's CRM mirror and settings, which they only read. Two such batches of disjoint reps
commute, so they run at once: each takes the tenant's lock *shared* and one exclusive key per rep.

*Tenant-wide* work takes the tenant's lock *exclusively*, which waits for every rep-local batch of
the tenant and keeps them out until commit:
- a CRM record change (contact, account, opportunity): it may re-match any rep's stored activities
  (by address, domain or account) and changes the account/address index that every match reads;
- a configuration update: it changes internal and free-mail domains, so it re-matches too.

Manual logs are keyed by their CRM activity id, which may move from one rep to another (the previous
rep's counters lose the log): each also takes a key of its own, so two batches carrying the same log
take turns whatever reps they name. A rep-local batch that meets a row of a rep it did not lock (an
activity id that moved to another rep's mailbox) stops, and the caller runs it again under the
exclusive lock (`LockScope.covers` is the check).

A transaction holds at most `max_keys` keys; above that the batch takes the exclusive tenant lock
instead, so one batch never fills PostgreSQL's shared lock table. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from services.scoring.domain.activities import CapturedActivity
from services.scoring.domain.away import AwayPeriod
from services.scoring.domain.crm_events import ConfigUpdate, CrmChange, ManualLog
from services.scoring.domain.ingest_plan import RepRef
from services.scoring.domain.records import CrmRecord

Ingested: TypeAlias = CapturedActivity | AwayPeriod | CrmChange
LockKey: TypeAlias = tuple[str, str]  # (tenant, "rep:<rep id>" or "log:<CRM activity id>")
# One eighth of PostgreSQL's lock table per transaction (see `lock_budget`).
LOCK_TABLE_SHARE = 8


def rep_key(rep: RepRef) -> LockKey:
    return (rep[0], f"rep:{rep[1]}")


def manual_log_key(tenant_id: str, crm_activity_id: str) -> LockKey:
    return (tenant_id, f"log:{crm_activity_id}")


@dataclass(frozen=True)
class LockScope:
    """The tenants a transaction locks, and how: exclusively, or shared with one key per rep/log."""

    tenants: tuple[str, ...]  # sorted
    exclusive: bool
    keys: tuple[LockKey, ...] = ()  # sorted; empty when exclusive

    def covers(self, rep: RepRef) -> bool:
        """Whether this transaction may change the rep's rows."""
        return self.exclusive or rep_key(rep) in self.keys


def is_tenant_wide(event: Ingested) -> bool:
    return isinstance(event, CrmChange) and isinstance(event.body, CrmRecord | ConfigUpdate)


def split_by_reach(batch: Sequence[Ingested]) -> tuple[list[Ingested], list[Ingested]]:
    """(tenant-wide events, rep-local events), each in batch order.

    Applying them as two batches ends in the same state as one: ingest is independent of order and
    batching (the fold property tests pin that down)."""
    wide: list[Ingested] = []
    local: list[Ingested] = []
    for event in batch:
        (wide if is_tenant_wide(event) else local).append(event)
    return wide, local


def exclusive_scope(batch: Iterable[Ingested]) -> LockScope:
    return LockScope(tuple(sorted({e.tenant_id for e in batch})), exclusive=True)


def lock_scope(batch: Sequence[Ingested], *, max_keys: int) -> LockScope:
    """Shared tenant locks and per-rep keys for a rep-local batch; exclusive when any event is
    tenant-wide or the keys would exceed `max_keys`."""
    if any(is_tenant_wide(e) for e in batch):
        return exclusive_scope(batch)
    keys: set[LockKey] = set()
    for event in batch:
        keys.add(rep_key((event.tenant_id, event.rep_id)))
        if isinstance(event, CrmChange):
            if event.actor_rep_id:
                keys.add(rep_key((event.tenant_id, event.actor_rep_id)))
            if isinstance(event.body, ManualLog):
                keys.add(manual_log_key(event.tenant_id, event.body.crm_activity_id))
    if len(keys) > max_keys:
        return exclusive_scope(batch)
    return LockScope(tuple(sorted({e.tenant_id for e in batch})), exclusive=False, keys=tuple(sorted(keys)))


def lock_budget(max_locks_per_transaction: int, max_connections: int, max_prepared_transactions: int) -> int:
    """Keys one transaction may hold: a share of the shared lock table, which PostgreSQL sizes as
    max_locks_per_transaction x (max_connections + max_prepared_transactions) for all sessions."""
    table = max_locks_per_transaction * (max_connections + max_prepared_transactions)
    return max(1, table // LOCK_TABLE_SHARE)


class LockScopeTooNarrow(Exception):
    """A rep-local transaction met a row of a rep it did not lock; run the batch again exclusively."""


__all__ = [
    "LOCK_TABLE_SHARE",
    "Ingested",
    "LockKey",
    "LockScope",
    "LockScopeTooNarrow",
    "exclusive_scope",
    "is_tenant_wide",
    "lock_budget",
    "lock_scope",
    "manual_log_key",
    "rep_key",
    "split_by_reach",
]
