"""CRM records as scoring mirrors them: one row per record, the latest version winning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import date
from enum import StrEnum
from typing import TypeAlias

from services.scoring.domain.values import value_class

# (source time in microseconds, event id): later source times win; the event id breaks ties so
# that any delivery order picks the same winner.
Version: TypeAlias = tuple[int, str]


class ObjectType(StrEnum):
    OPPORTUNITY = "opportunity"
    CONTACT = "contact"
    ACCOUNT = "account"


RecordKey: TypeAlias = tuple[str, ObjectType, str]  # (tenant_id, object type, crm id)


@value_class
class ContactRole:
    contact_crm_id: str
    role: str
    is_primary: bool


@value_class
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
    next_step_date: date | None = None  # when the next step is due; None: undated

    @property
    def key(self) -> RecordKey:
        return (self.tenant_id, self.object_type, self.crm_id)


def newer(candidate: Version, current: Version | None) -> bool:
    return current is None or candidate > current


def email_domain(address: str) -> str:
    return address.rpartition("@")[2]
