"""What ingest needs from storage. Implemented by `adapters/pg_ingest_store.py` and, for the property
tests, by an in-memory store; both must give the same results for the same calls."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

from services.scoring.domain.activities import ActivityRow
from services.scoring.domain.activity_plan import AddressEntry
from services.scoring.domain.aggregates import Deltas
from services.scoring.domain.away import AwayPeriod
from services.scoring.domain.ingest_locks import LockScope
from services.scoring.domain.ingest_plan import (
    AccountTarget,
    RepRef,
    StoredConfig,
    StoredForecast,
    StoredManualLog,
    TenantKey,
)
from services.scoring.domain.leadership import ViewDayKey
from services.scoring.domain.records import CrmRecord, RecordKey


@dataclass
class WritePlan:
    """Everything one batch changes, written in one transaction."""

    processed_events: list[TenantKey] = field(default_factory=list)
    records: list[CrmRecord] = field(default_factory=list)
    stage_visits: set[tuple[str, str, str]] = field(default_factory=set)  # tenant, opportunity, stage
    configs: list[StoredConfig] = field(default_factory=list)
    manual_logs: list[StoredManualLog] = field(default_factory=list)
    forecasts: list[StoredForecast] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)  # new versions, full rows
    new_activity_ids: set[str] = field(default_factory=set)  # of those, the ones not stored before
    rematched: list[ActivityRow] = field(default_factory=list)  # same version, new match or feed position
    addresses_removed: list[AddressEntry] = field(default_factory=list)
    addresses_added: list[AddressEntry] = field(default_factory=list)
    deltas: Deltas = field(default_factory=Deltas)
    reps_seen: dict[RepRef, int] = field(default_factory=dict)  # earliest day number seen in the batch
    dirty_reps: set[RepRef] = field(default_factory=set)
    rescore_tenants: set[str] = field(default_factory=set)
    view_days: dict[ViewDayKey, int] = field(default_factory=dict)  # leadership signals per kind


@dataclass(frozen=True)
class AccountRecords:
    """Accounts and the opportunities on them, with each opportunity's latest activity."""

    records: list[CrmRecord]
    last_activity_us: dict[tuple[str, str], int]  # (tenant, opportunity) -> microseconds


class IngestTransaction(Protocol):
    """Reads and writes of one ingest transaction. Every method may block on the database and raises
    on failure; nothing is visible to others until the transaction commits."""

    async def lock(self, scope: LockScope) -> None:
        """Take the scope's locks until commit: its tenants exclusively (serialized with every other
        writer of them), or shared with one exclusive key per rep/manual log (serialized only with
        writers of the same reps and with tenant-wide writers). Keys in sorted order, so no deadlock.
        Afterwards, a write that finds another transaction's row of an unlocked rep raises
        `LockScopeTooNarrow`."""

    async def configs(self, tenant_ids: Collection[str]) -> dict[str, StoredConfig]: ...

    async def erasures(self, reps: Collection[RepRef]) -> dict[RepRef, int]:
        """When each erased rep was erased (microseconds)."""

    async def unprocessed(self, events: Collection[TenantKey]) -> set[TenantKey]:
        """The CRM event ids not applied before."""

    async def records(self, keys: Collection[RecordKey]) -> dict[RecordKey, CrmRecord]: ...

    async def manual_logs(
        self, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], StoredManualLog]: ...

    async def forecasts(
        self, keys: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], StoredForecast]: ...

    async def activities(self, ids: Collection[str], *, with_payload: bool) -> dict[str, ActivityRow]: ...

    async def activities_with_addresses(
        self, emails: Collection[TenantKey], domains: Collection[TenantKey], *, since_us: int
    ) -> set[str]:
        """Ids of activities with an external participant at one of these addresses or domains,
        that happened at or after `since_us`."""

    async def activities_on_accounts(self, targets: Collection[AccountTarget], *, since_us: int) -> set[str]:
        """Ids of activities matched to these accounts (of one rep, or of all when rep is ""),
        that happened at or after `since_us`."""

    async def lookup_records(
        self, emails: Collection[TenantKey], domains: Collection[TenantKey]
    ) -> list[CrmRecord]:
        """Live contacts with these addresses and live accounts with these domains (for matching:
        their free-form fields may be left out)."""

    async def account_records(self, accounts: Collection[TenantKey]) -> AccountRecords:
        """Accounts with these ids (deleted ones as tombstones) and the live opportunities on them
        (for matching: their free-form fields may be left out)."""

    async def allocate_feed(self, tenant_id: str, count: int) -> int:
        """Reserve `count` feed positions; returns the first. Positions are gapless and committed in order."""

    async def write(self, plan: WritePlan) -> None: ...

    async def write_away(
        self, periods: Sequence[AwayPeriod], *, no_longer_away: Sequence[AwayPeriod]
    ) -> set[RepRef]:
        """Keep the newer of each period and the stored one (`no_longer_away`: entries now ordinary
        meetings, applied only to stored periods); the reps whose periods changed."""
        ...


class IngestStore(Protocol):
    """Where batches are applied: one transaction per batch, owned by the caller of `transaction`."""

    def transaction(self) -> AbstractAsyncContextManager[IngestTransaction]:
        """One transaction; commits when the block exits normally, rolls back when it raises."""

    async def lock_budget(self) -> int:
        """How many rep/manual-log keys one transaction may lock (above it: the tenant exclusively)."""
