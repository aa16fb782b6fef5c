"""An in-memory `IngestStore`: the reference the property tests fold events over, and the twin the
PostgreSQL store is compared with."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from services.scoring.domain.activities import ActivityRow
from services.scoring.domain.activity_plan import AddressEntry
from services.scoring.domain.aggregates import OpportunityDayKey, RepDayKey
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
from services.scoring.domain.instants import day_start_us
from services.scoring.domain.leadership import ViewDayKey
from services.scoring.domain.records import CrmRecord, ObjectType, RecordKey, email_domain
from services.scoring.ports import AccountRecords, WritePlan


@dataclass
class MemoryState:
    configs: dict[str, StoredConfig] = field(default_factory=dict)
    erasures: dict[RepRef, int] = field(default_factory=dict)
    processed: set[TenantKey] = field(default_factory=set)
    records: dict[RecordKey, CrmRecord] = field(default_factory=dict)
    stage_visits: set[tuple[str, str, str]] = field(default_factory=set)
    manual_logs: dict[tuple[str, str], StoredManualLog] = field(default_factory=dict)
    forecasts: dict[tuple[str, str, str], StoredForecast] = field(default_factory=dict)
    activities: dict[str, ActivityRow] = field(default_factory=dict)
    addresses: set[AddressEntry] = field(default_factory=set)
    rep_days: dict[RepDayKey, list[int]] = field(default_factory=dict)
    opportunity_days: dict[OpportunityDayKey, int] = field(default_factory=dict)
    feed_last: dict[str, int] = field(default_factory=dict)
    reps_seen: dict[RepRef, int] = field(default_factory=dict)
    dirty_reps: set[RepRef] = field(default_factory=set)
    rescore_tenants: set[str] = field(default_factory=set)
    away: dict[tuple[str, str], AwayPeriod] = field(default_factory=dict)
    view_days: dict[ViewDayKey, int] = field(default_factory=dict)

    def comparable(self, *, with_feed: bool = True) -> dict[str, Any]:
        """Everything that must not depend on delivery order.

        Feed positions only on request: they number changes, and different deliveries make different
        numbers of changes. An unmatched activity may or may not be in the feed (it is when a plugin
        may have seen it matched), but every matched one is.
        """
        activities = {k: (v if with_feed else _without_feed(v)) for k, v in self.activities.items()}
        return {
            "configs": self.configs,
            "records": self.records,
            "stage_visits": self.stage_visits,
            "manual_logs": self.manual_logs,
            "forecasts": self.forecasts,
            "activities": activities,
            "matched_but_not_fed": {
                k for k, v in self.activities.items() if v.match.matched and v.feed_sequence <= 0
            },
            "addresses": self.addresses,
            "rep_days": self.rep_days,
            "view_days": self.view_days,
            "opportunity_days": self.opportunity_days,
            "reps_seen": self.reps_seen,
            "processed": self.processed,
        }


def _without_feed(row: ActivityRow) -> ActivityRow:
    return replace(row, feed_sequence=0, payload=None)


class MemoryTransaction:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def lock(self, scope: LockScope) -> None:
        return None  # one transaction at a time

    async def configs(self, tenant_ids: Collection[str]) -> dict[str, StoredConfig]:
        return {t: self.state.configs[t] for t in tenant_ids if t in self.state.configs}

    async def erasures(self, reps: Collection[RepRef]) -> dict[RepRef, int]:
        return {r: self.state.erasures[r] for r in reps if r in self.state.erasures}

    async def unprocessed(self, events: Collection[TenantKey]) -> set[TenantKey]:
        return {e for e in events if e not in self.state.processed}

    async def records(self, keys: Collection[RecordKey]) -> dict[RecordKey, CrmRecord]:
        return {k: self.state.records[k] for k in keys if k in self.state.records}

    async def manual_logs(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], StoredManualLog]:
        return {k: self.state.manual_logs[k] for k in keys if k in self.state.manual_logs}

    async def forecasts(
        self, keys: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], StoredForecast]:
        return {k: self.state.forecasts[k] for k in keys if k in self.state.forecasts}

    async def activities(self, ids: Collection[str], *, with_payload: bool) -> dict[str, ActivityRow]:
        found = {i: self.state.activities[i] for i in ids if i in self.state.activities}
        return found if with_payload else {i: replace(r, payload=None) for i, r in found.items()}

    async def activities_with_addresses(
        self, emails: Collection[TenantKey], domains: Collection[TenantKey], *, since_us: int
    ) -> set[str]:
        wanted_emails, wanted_domains = set(emails), set(domains)
        return {
            activity_id
            for tenant, address, activity_id, _rep, occurred_us in self.state.addresses
            if occurred_us >= since_us
            and ((tenant, address) in wanted_emails or (tenant, email_domain(address)) in wanted_domains)
        }

    async def activities_on_accounts(self, targets: Collection[AccountTarget], *, since_us: int) -> set[str]:
        wanted = set(targets)
        return {
            row.id
            for row in self.state.activities.values()
            if row.match.account_id
            and row.occurred_us >= since_us
            and (
                (row.tenant_id, row.match.account_id, row.rep_id) in wanted
                or (row.tenant_id, row.match.account_id, "") in wanted
            )
        }

    async def lookup_records(
        self, emails: Collection[TenantKey], domains: Collection[TenantKey]
    ) -> list[CrmRecord]:
        wanted_emails, wanted_domains = set(emails), set(domains)

        def wanted(record: CrmRecord) -> bool:
            if record.deleted:
                return False
            if record.object_type is ObjectType.CONTACT:
                return (record.tenant_id, record.email) in wanted_emails
            if record.object_type is ObjectType.ACCOUNT:
                return any((record.tenant_id, d) in wanted_domains for d in record.domains)
            return False

        return [r for r in self.state.records.values() if wanted(r)]

    async def account_records(self, accounts: Collection[TenantKey]) -> AccountRecords:
        wanted = set(accounts)
        records = []
        opportunities = []
        for record in self.state.records.values():
            if record.object_type is ObjectType.ACCOUNT and (record.tenant_id, record.crm_id) in wanted:
                records.append(record)
            elif (
                record.object_type is ObjectType.OPPORTUNITY
                and not record.deleted
                and (record.tenant_id, record.account_crm_id) in wanted
            ):
                records.append(record)
                opportunities.append((record.tenant_id, record.crm_id))
        last: dict[tuple[str, str], int] = {}
        for (tenant, opportunity, _rep, day), count in self.state.opportunity_days.items():
            if count > 0 and (tenant, opportunity) in opportunities:
                last[(tenant, opportunity)] = max(last.get((tenant, opportunity), 0), day_start_us(day))
        return AccountRecords(records, last)

    async def allocate_feed(self, tenant_id: str, count: int) -> int:
        first = self.state.feed_last.get(tenant_id, 0) + 1
        self.state.feed_last[tenant_id] = first + count - 1
        return first

    async def write_away(
        self, periods: Sequence[AwayPeriod], *, no_longer_away: Sequence[AwayPeriod]
    ) -> set[RepRef]:
        changed: set[RepRef] = set()
        for period in periods:
            stored = self.state.away.get((period.tenant_id, period.id))
            if stored is None or stored.version < period.version:
                self.state.away[(period.tenant_id, period.id)] = period
                changed.add((period.tenant_id, period.rep_id))
        for meeting in no_longer_away:
            stored = self.state.away.get((meeting.tenant_id, meeting.id))
            if stored is not None and not stored.removed and stored.version < meeting.version:
                self.state.away[(meeting.tenant_id, meeting.id)] = dataclasses.replace(
                    stored, removed=True, modified_us=meeting.modified_us, event_id=meeting.event_id
                )
                changed.add((stored.tenant_id, stored.rep_id))
        return changed

    async def write(self, plan: WritePlan) -> None:
        s = self.state
        s.processed.update(plan.processed_events)
        for record in plan.records:
            s.records[record.key] = record
        s.stage_visits |= plan.stage_visits
        for config in plan.configs:
            s.configs[config.tenant_id] = config
        for log in plan.manual_logs:
            s.manual_logs[(log.tenant_id, log.log.crm_activity_id)] = log
        for forecast in plan.forecasts:
            s.forecasts[forecast.key] = forecast
        for row in plan.activities:
            s.activities[row.id] = row
        for row in plan.rematched:  # a re-match changes only the match and the feed position
            s.activities[row.id] = replace(
                s.activities[row.id], match=row.match, feed_sequence=row.feed_sequence
            )
        s.addresses -= set(plan.addresses_removed)
        s.addresses |= set(plan.addresses_added)
        for key, counts in plan.deltas.nonzero_rep_days():
            current = s.rep_days.setdefault(key, [0] * len(counts))
            for i, n in enumerate(counts):
                current[i] += n
            if not any(current):
                del s.rep_days[key]
        for okey, n in plan.deltas.nonzero_opportunity_days():
            s.opportunity_days[okey] = s.opportunity_days.get(okey, 0) + n
            if not s.opportunity_days[okey]:
                del s.opportunity_days[okey]
        for rep, day in plan.reps_seen.items():
            s.reps_seen[rep] = min(day, s.reps_seen.get(rep, day))
        s.dirty_reps |= plan.dirty_reps
        s.rescore_tenants |= plan.rescore_tenants
        for vkey, views in plan.view_days.items():
            s.view_days[vkey] = s.view_days.get(vkey, 0) + views


class MemoryStore:
    def __init__(self) -> None:
        self.state = MemoryState()

    async def lock_budget(self) -> int:
        return 1_000_000

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTransaction]:
        before = copy.deepcopy(self.state)
        try:
            yield MemoryTransaction(self.state)
        except BaseException:
            self.state = before
            raise
