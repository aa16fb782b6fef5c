"""Pure decisions of the ingest: which stored state each event changes, and what has to be re-matched.

Applying a batch is: load the stored state the batch touches, decide with these functions, write.
The same functions drive the PostgreSQL store and the in-memory one the property tests fold over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from services.scoring.domain.aggregates import Deltas, add_manual_log
from services.scoring.domain.crm_events import ConfigUpdate, ForecastSubmission, ManualLog
from services.scoring.domain.records import CrmRecord, ObjectType, RecordKey, Version
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.domain.values import value_class

TenantKey: TypeAlias = tuple[str, str]  # (tenant, value) such as ("acme", "jane@buyer.example")
AccountTarget: TypeAlias = tuple[str, str, str]  # (tenant, account id, rep id or "" for every rep)
RepRef: TypeAlias = tuple[str, str]  # (tenant, rep)


@value_class
class StoredManualLog:
    tenant_id: str
    rep_id: str
    version: Version
    log: ManualLog


@value_class
class StoredForecast:
    tenant_id: str
    rep_id: str
    version: Version  # (submitted_at, event id): the latest submission for the period wins
    submission: ForecastSubmission

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.tenant_id, self.rep_id, self.submission.period)


@dataclass
class RecordChanges:
    """The winning versions to write, and what they may change about earlier matches."""

    writes: list[CrmRecord] = field(default_factory=list)
    # Activities with an external participant at one of these addresses or domains are re-matched,
    # and so are the activities matched to these accounts (of one rep, or of every rep).
    rematch_emails: set[TenantKey] = field(default_factory=set)
    rematch_domains: set[TenantKey] = field(default_factory=set)
    account_targets: set[AccountTarget] = field(default_factory=set)
    owners: set[RepRef] = field(default_factory=set)


def plan_records(stored: Mapping[RecordKey, CrmRecord], incoming: Iterable[CrmRecord]) -> RecordChanges:
    """The records whose winning version changes, and the activities that may now match differently."""
    changes = RecordChanges()
    latest: dict[RecordKey, CrmRecord] = {}
    for record in incoming:
        current = latest.get(record.key) or stored.get(record.key)
        if current is None or record.version > current.version:
            latest[record.key] = record
    for key, final in latest.items():
        changes.writes.append(final)
        _rematch_triggers(changes, stored.get(key), final)
    return changes


def _rematch_triggers(changes: RecordChanges, before: CrmRecord | None, after: CrmRecord) -> None:
    tenant = after.tenant_id
    was = before if before is not None and not before.deleted else None
    now = after if not after.deleted else None
    if after.object_type is ObjectType.CONTACT:
        old_identity = (was.email, was.account_crm_id) if was else None
        if old_identity == ((now.email, now.account_crm_id) if now else None):
            return
        for record in (was, now):
            if record is not None and record.email:
                changes.rematch_emails.add((tenant, record.email))
    elif after.object_type is ObjectType.ACCOUNT:
        if (was.domains if was else None) == (now.domains if now else None):
            return
        for domain in set(was.domains if was else ()) | set(now.domains if now else ()):
            changes.rematch_domains.add((tenant, domain))
        # Contacts keep pointing at a deleted account: their activities are found through it.
        changes.account_targets.add((tenant, after.crm_id, ""))
    elif _opportunity_identity(was) != _opportunity_identity(now):
        for record in (was, now):
            if record is not None:
                changes.owners.add((tenant, record.owner_rep_id))
                if record.account_crm_id:
                    changes.account_targets.add((tenant, record.account_crm_id, record.owner_rep_id))


def matching_domains_changed(before: TenantSettings | None, after: TenantSettings) -> set[str]:
    """Domains whose meaning for matching changed with a new configuration (internal or free-mail)."""
    old_internal = before.internal_domains if before else frozenset()
    old_free = before.free_mail_domains if before else after.free_mail_domains
    return set(old_internal ^ after.internal_domains) | set(old_free ^ after.free_mail_domains)


def _opportunity_identity(record: CrmRecord | None) -> tuple[object, ...] | None:
    """What decides which activities an opportunity can be matched to."""
    if record is None:
        return None
    return (
        record.owner_rep_id,
        record.account_crm_id,
        record.is_closed,
        record.close_date,
        record.contact_roles,
    )


def plan_manual_logs(
    stored: Mapping[tuple[str, str], StoredManualLog], incoming: Iterable[StoredManualLog]
) -> tuple[list[StoredManualLog], Deltas]:
    """Latest version of each manual log (by CRM activity id), and the counter changes it brings."""
    latest: dict[tuple[str, str], StoredManualLog] = {}
    for entry in incoming:
        key = (entry.tenant_id, entry.log.crm_activity_id)
        current = latest.get(key) or stored.get(key)
        if current is None or entry.version > current.version:
            latest[key] = entry
    deltas = Deltas()
    for key, entry in latest.items():
        before = stored.get(key)
        if before is not None:
            add_manual_log(deltas, before.tenant_id, before.rep_id, before.log, -1)
        add_manual_log(deltas, entry.tenant_id, entry.rep_id, entry.log, +1)
    return list(latest.values()), deltas


def plan_forecasts(
    stored: Mapping[tuple[str, str, str], StoredForecast], incoming: Iterable[StoredForecast]
) -> list[StoredForecast]:
    latest: dict[tuple[str, str, str], StoredForecast] = {}
    for entry in incoming:
        current = latest.get(entry.key) or stored.get(entry.key)
        if current is None or entry.version > current.version:
            latest[entry.key] = entry
    return list(latest.values())


@dataclass(frozen=True, slots=True)
class StoredConfig:
    tenant_id: str
    version: Version  # (config version, event id)
    update: ConfigUpdate


def plan_configs(stored: Mapping[str, Version], incoming: Iterable[StoredConfig]) -> dict[str, StoredConfig]:
    """The highest configuration version per tenant, when it beats the stored one."""
    latest: dict[str, StoredConfig] = {}
    for entry in incoming:
        current = latest.get(entry.tenant_id)
        best = current.version if current else stored.get(entry.tenant_id)
        if best is None or entry.version > best:
            latest[entry.tenant_id] = entry
    return latest
