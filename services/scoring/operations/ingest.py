"""Applies one batch of captured activities and CRM events to the store, exactly once in effect.

Read what the batch needs, plan with pure functions from `domain/`, write one `WritePlan`.

Within one transaction, under the locks `domain/ingest_locks.py` chooses (the tenant exclusively
for CRM record and configuration changes; the tenant shared and one key per rep otherwise, so
several processes ingest one tenant at once): drop what erasure forbids and what was applied before
(dedupe keys), keep the winning version of every record, match new activity and re-match activity
that the batch's records may change, then write rows, counters, feed positions and dedupe
keys together. Any order and any number of deliveries of the same events end in the same state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from services.scoring.domain.activities import CapturedActivity, latest_versions
from services.scoring.domain.activity_plan import ActivityWork, assign_feed, plan_activities
from services.scoring.domain.aggregates import Deltas, add_crm_write, add_login
from services.scoring.domain.away import AwayPeriod
from services.scoring.domain.crm_events import ConfigUpdate, CrmChange, ForecastSubmission, Login, ManualLog
from services.scoring.domain.ingest_locks import (
    LockScope,
    LockScopeTooNarrow,
    exclusive_scope,
    lock_scope,
    split_by_reach,
)
from services.scoring.domain.ingest_plan import (
    RepRef,
    StoredConfig,
    StoredForecast,
    StoredManualLog,
    TenantKey,
    matching_domains_changed,
    plan_configs,
    plan_forecasts,
    plan_manual_logs,
    plan_records,
)
from services.scoring.domain.instants import US_PER_DAY
from services.scoring.domain.leadership import count_crm_views
from services.scoring.domain.matching import Candidates
from services.scoring.domain.records import CrmRecord, ObjectType, email_domain
from services.scoring.domain.tenant_settings import TenantSettings, settings_from_config
from services.scoring.operations.away_ingest import record_away
from services.scoring.operations.settings import SettingsCache
from services.scoring.ports import IngestStore, IngestTransaction, WritePlan

_log = logging.getLogger(__name__)
Decoded: TypeAlias = CapturedActivity | AwayPeriod | CrmChange
DEFAULT_REMATCH_HORIZON_DAYS = 90


@dataclass(frozen=True)
class IngestSummary:
    activities_written: int
    activities_rematched: int
    crm_events_applied: int
    skipped_erased: int

    def __add__(self, other: IngestSummary) -> IngestSummary:
        return IngestSummary(
            self.activities_written + other.activities_written,
            self.activities_rematched + other.activities_rematched,
            self.crm_events_applied + other.crm_events_applied,
            self.skipped_erased + other.skipped_erased,
        )


class IngestService:
    """Applies batches; `apply` returns after the transaction commits and raises if it did not.

    `settings` is the process's shared cache of tenant settings (a fresh one when not given)."""

    def __init__(
        self,
        store: IngestStore,
        *,
        now_us: Callable[[], int],
        rematch_horizon_days: int = DEFAULT_REMATCH_HORIZON_DAYS,
        settings: SettingsCache | None = None,
    ) -> None:
        self._store = store
        self._now_us = now_us
        self._horizon_us = rematch_horizon_days * US_PER_DAY
        self._settings = settings if settings is not None else SettingsCache()

    async def apply(self, batch: Sequence[Decoded]) -> IngestSummary:
        """Tenant-wide events first under the exclusive tenant lock, then the rep-local rest under
        per-rep keys: two transactions when a batch has both (same end state, see `split_by_reach`)."""
        wide, local = split_by_reach(batch)
        summary = IngestSummary(0, 0, 0, 0)
        if wide:
            summary += await self._apply_in(exclusive_scope(wide), wide)
        if local:
            scope = lock_scope(local, max_keys=await self._store.lock_budget())
            try:
                summary += await self._apply_in(scope, local)
            except LockScopeTooNarrow:
                # Rolled back: a row of a rep the batch did not lock. Rare (an item that moved to
                # another rep's mailbox); the exclusive lock covers every rep.
                _log.info("batch met another rep's row; applying it under the tenant lock")
                summary += await self._apply_in(exclusive_scope(local), local)
        return summary

    async def _apply_in(self, scope: LockScope, batch: Sequence[Decoded]) -> IngestSummary:
        async with self._store.transaction() as tx:
            await tx.lock(scope)
            return await self._apply_locked(tx, scope, list(scope.tenants), batch)

    async def _apply_locked(
        self, tx: IngestTransaction, scope: LockScope, tenants: list[str], batch: Sequence[Decoded]
    ) -> IngestSummary:
        plan = WritePlan()
        stored_configs = await tx.configs(tenants)
        erased = await tx.erasures({(e.tenant_id, e.rep_id) for e in batch if e.rep_id})
        away = [e for e in batch if isinstance(e, AwayPeriod)]
        activities, changes, skipped = _split([e for e in batch if not isinstance(e, AwayPeriod)], erased)
        skipped += await record_away(tx, plan, away, activities, erased)
        _require_locked(scope, plan.dirty_reps)  # so far only the reps whose away periods changed
        unseen = await tx.unprocessed({(c.tenant_id, c.event_id) for c in changes})
        fresh: list[CrmChange] = []
        for change in changes:
            if (change.tenant_id, change.event_id) in unseen:
                unseen.discard((change.tenant_id, change.event_id))  # later duplicates in the batch
                fresh.append(change)
        plan.processed_events = [(c.tenant_id, c.event_id) for c in fresh]

        configs = plan_configs(
            {t: c.version for t, c in stored_configs.items()},
            [
                StoredConfig(c.tenant_id, (c.body.version, c.event_id), c.body)
                for c in fresh
                if isinstance(c.body, ConfigUpdate)
            ],
        )
        plan.configs = list(configs.values())
        plan.rescore_tenants = set(configs)
        settings: dict[str, TenantSettings] = {}
        rematch_domains: set[TenantKey] = set()
        for tenant in tenants:
            before = self._settings.settings(tenant, stored_configs.get(tenant))
            new_config = configs.get(tenant)
            settings[tenant] = (
                settings_from_config(tenant, new_config.update.config) if new_config else before
            )
            rematch_domains |= {(tenant, d) for d in matching_domains_changed(before, settings[tenant])}

        record_events = [c.body for c in fresh if isinstance(c.body, CrmRecord)]
        stored_records = await tx.records({r.key for r in record_events})
        record_changes = plan_records(stored_records, record_events)
        plan.records = record_changes.writes
        plan.dirty_reps |= record_changes.owners
        _apply_crm_events(plan, fresh, erased)
        plan.view_days = count_crm_views(fresh)
        await _apply_manual_logs_and_forecasts(tx, plan, fresh, erased)

        incoming = latest_versions(activities)
        stored_new = await tx.activities([a.id for a in incoming], with_payload=False)
        _require_locked(scope, {(row.tenant_id, row.rep_id) for row in stored_new.values()})
        works = [
            ActivityWork(a, stored_new.get(a.id))
            for a in incoming
            if a.id not in stored_new or a.version > stored_new[a.id].version
        ]
        since_us = self._now_us() - self._horizon_us
        rematch_ids = await tx.activities_with_addresses(
            record_changes.rematch_emails, record_changes.rematch_domains | rematch_domains, since_us=since_us
        )
        rematch_ids |= await tx.activities_on_accounts(record_changes.account_targets, since_us=since_us)
        rematch_ids -= {w.captured.id for w in works if w.captured is not None}
        stored_again = await tx.activities(sorted(rematch_ids), with_payload=False)
        works += [ActivityWork(None, row) for row in stored_again.values()]

        candidates = await _candidates(tx, works, plan.records, settings)
        activity_changes = plan_activities(works, candidates, settings)
        firsts = {
            tenant: await tx.allocate_feed(tenant, count)
            for tenant, count in sorted(activity_changes.feed_counts().items())
        }
        assign_feed(activity_changes, firsts)
        plan.activities = activity_changes.rows
        plan.new_activity_ids = activity_changes.new_ids
        plan.rematched = activity_changes.rematched
        plan.addresses_removed = activity_changes.addresses_removed
        plan.addresses_added = activity_changes.addresses_added
        plan.deltas.merge(activity_changes.deltas)
        for row in (*plan.activities, *plan.rematched):
            plan.dirty_reps.add((row.tenant_id, row.rep_id))
            _seen(plan, (row.tenant_id, row.rep_id), row.occurred_us)
        await tx.write(plan)
        return IngestSummary(len(plan.activities), len(plan.rematched), len(fresh), skipped)


def _require_locked(scope: LockScope, reps: Collection[RepRef]) -> None:
    if not all(scope.covers(rep) for rep in reps):
        raise LockScopeTooNarrow


def _split(
    batch: Sequence[CapturedActivity | CrmChange], erased: dict[RepRef, int]
) -> tuple[list[CapturedActivity], list[CrmChange], int]:
    """Separate activities from CRM events, dropping what an erasure forbids.

    Anything about an erased rep observed up to the erasure is dropped, so a replay of their old
    events cannot bring them back. Record changes are the tenant's CRM data and are always mirrored.
    """
    activities: list[CapturedActivity] = []
    changes: list[CrmChange] = []
    skipped = 0
    for event in batch:
        erased_us = erased.get((event.tenant_id, event.rep_id))
        forbidden = erased_us is not None and event.observed_us <= erased_us
        if isinstance(event, CapturedActivity):
            if forbidden:
                skipped += 1
            else:
                activities.append(event)
        elif forbidden and not isinstance(event.body, (CrmRecord, ConfigUpdate)):
            skipped += 1
        else:
            changes.append(event)
    return activities, changes, skipped


def _seen(plan: WritePlan, rep: RepRef, at_us: int) -> None:
    day = at_us // US_PER_DAY
    current = plan.reps_seen.get(rep)
    if current is None or day < current:
        plan.reps_seen[rep] = day


def _apply_crm_events(plan: WritePlan, fresh: list[CrmChange], erased: dict[RepRef, int]) -> None:
    """Counters of logins and CRM writes, and the stages each opportunity was seen in."""
    deltas = Deltas()
    for change in fresh:
        body = change.body
        if isinstance(body, Login):
            add_login(deltas, change.tenant_id, change.rep_id, body.login_us)
            plan.dirty_reps.add((change.tenant_id, change.rep_id))
            _seen(plan, (change.tenant_id, change.rep_id), body.login_us)
        elif isinstance(body, CrmRecord):
            if body.object_type is ObjectType.OPPORTUNITY and not body.deleted and body.stage:
                plan.stage_visits.add((change.tenant_id, body.crm_id, body.stage))
            actor = (change.tenant_id, change.actor_rep_id)
            erased_us = erased.get(actor)
            if change.actor_rep_id and (erased_us is None or change.observed_us > erased_us):
                add_crm_write(deltas, change.tenant_id, change.actor_rep_id, body.modified_us)
                plan.dirty_reps.add(actor)
                _seen(plan, actor, body.modified_us)
    plan.deltas.merge(deltas)


async def _apply_manual_logs_and_forecasts(
    tx: IngestTransaction, plan: WritePlan, fresh: list[CrmChange], erased: dict[RepRef, int]
) -> None:
    logs = [
        StoredManualLog(c.tenant_id, c.rep_id, (c.occurred_us, c.event_id), c.body)
        for c in fresh
        if isinstance(c.body, ManualLog)
    ]
    stored_logs = await tx.manual_logs({(e.tenant_id, e.log.crm_activity_id) for e in logs})
    plan.manual_logs, deltas = plan_manual_logs(stored_logs, logs)
    plan.deltas.merge(deltas)
    for entry in plan.manual_logs:
        plan.dirty_reps.add((entry.tenant_id, entry.rep_id))
        _seen(plan, (entry.tenant_id, entry.rep_id), min(entry.log.logged_us, entry.log.occurred_us))
    for before in stored_logs.values():
        plan.dirty_reps.add((before.tenant_id, before.rep_id))
    forecasts = [
        StoredForecast(c.tenant_id, c.rep_id, (c.body.submitted_us, c.event_id), c.body)
        for c in fresh
        if isinstance(c.body, ForecastSubmission)
    ]
    stored_forecasts = await tx.forecasts({f.key for f in forecasts})
    plan.forecasts = plan_forecasts(stored_forecasts, forecasts)


async def _candidates(
    tx: IngestTransaction,
    works: list[ActivityWork],
    batch_records: list[CrmRecord],
    settings: dict[str, TenantSettings],
) -> dict[str, Candidates]:
    """The records the works could match, as stored and as changed by this batch."""
    emails: set[TenantKey] = set()
    domains: set[TenantKey] = set()
    for work in works:
        if work.captured is not None:
            tenant, addresses = work.captured.tenant_id, work.captured.external_addresses
        else:
            assert work.stored is not None
            tenant, addresses = work.stored.tenant_id, work.stored.addresses
        for address in addresses:
            emails.add((tenant, address))
            domain = email_domain(address)
            if domain not in settings[tenant].free_mail_domains:
                domains.add((tenant, domain))
    found = {r.key: r for r in await tx.lookup_records(emails, domains)}
    found.update((r.key, r) for r in batch_records)
    accounts: set[TenantKey] = set()
    for record in found.values():
        if record.deleted:
            continue
        if record.object_type is ObjectType.CONTACT and record.account_crm_id:
            accounts.add((record.tenant_id, record.account_crm_id))
        elif record.object_type is ObjectType.ACCOUNT:
            accounts.add((record.tenant_id, record.crm_id))
    on_accounts = await tx.account_records(accounts)
    for record in on_accounts.records:
        found.setdefault(record.key, record)
    found.update((r.key, r) for r in batch_records)
    by_tenant: dict[str, list[CrmRecord]] = {t: [] for t in settings}
    for record in found.values():
        by_tenant.setdefault(record.tenant_id, []).append(record)
    return {
        tenant: Candidates.from_records(
            records, {opp: us for (t, opp), us in on_accounts.last_activity_us.items() if t == tenant}
        )
        for tenant, records in by_tenant.items()
    }


__all__ = ["Decoded", "IngestService", "IngestSummary"]
