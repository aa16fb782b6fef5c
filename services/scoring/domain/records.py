"""CRM records as scoring mirrors them: one row per record, the latest version winning."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeAlias

# (source time in microseconds, event id): later source times win; the event id breaks ties so
# that any delivery order picks the same winner.
Version: TypeAlias = tuple[int, str]


class ObjectType(StrEnum):
    OPPORTUNITY = "opportunity"
    CONTACT = "contact"
    ACCOUNT = "account"


RecordKey: TypeAlias = tuple[str, ObjectType, str]  # (tenant_id, object type, crm id)


@dataclass(frozen=True, slots=True)
class ContactRole:
    contact_crm_id: str
    role: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """A mirrored opportunity, contact or account, or the tombstone of a deleted one.

    A tombstone keeps its version so that an older upsert delivered later does not revive it.
    """

    tenant_id: str
    object_type: ObjectType
    crm_id: str
    version: Version
    deleted: bool = False
    owner_rep_id: str = ""
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)
    modified_us: int = 0
    created_us: int = 0
    domains: tuple[str, ...] = ()
    email: str = ""
    account_crm_id: str = ""
    stage: str = ""
    amount: float = 0.0
    currency: str = ""
    close_date: date | None = None
    is_closed: bool = False
    is_won: bool = False
    next_step: str = ""
    contact_roles: tuple[ContactRole, ...] = ()

    @property
    def key(self) -> RecordKey:
        return (self.tenant_id, self.object_type, self.crm_id)

    @property
    def is_open_opportunity(self) -> bool:
        return self.object_type is ObjectType.OPPORTUNITY and not self.deleted and not self.is_closed

    def field_filled(self, name: str) -> bool:
        """A required field counts as filled when the CRM sent a non-blank value for it.

        The standard columns we mirror separately (next step, close date, amount, stage) count too,
        under their Salesforce-style API names, so a tenant can require them by those names.
        """
        value = self.fields.get(name)
        if value is not None:
            return bool(value.strip())
        standard = {
            "NextStep": self.next_step,
            "CloseDate": self.close_date.isoformat() if self.close_date else "",
            "Amount": str(self.amount) if self.amount else "",
            "StageName": self.stage,
        }
        return bool(standard.get(name, "").strip())


def newer(candidate: Version, current: Version | None) -> bool:
    return current is None or candidate > current


def latest_records(records: Iterable[CrmRecord]) -> dict[RecordKey, CrmRecord]:
    """The winning version of each record among `records` (deleted or not)."""
    latest: dict[RecordKey, CrmRecord] = {}
    for record in records:
        current = latest.get(record.key)
        if current is None or record.version > current.version:
            latest[record.key] = record
    return latest


def email_domain(address: str) -> str:
    return address.rpartition("@")[2]
