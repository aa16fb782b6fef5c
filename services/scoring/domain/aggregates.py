"""Per rep and day counters, kept incrementally as deltas of what each stored row contributes.

Every stored row (an activity's latest version, a manual log) contributes fixed counts to fixed days.
When a row changes, the change is its new contribution minus its old one, so the counters always
equal the sum over the rows as they are now, whatever the order the versions arrived in. Logins and
CRM writes are events, counted once each thanks to the event dedupe keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import TypeAlias

from services.scoring.domain.activities import EMAIL_RECEIVED, EMAIL_SENT, MEETING, ActivityRow
from services.scoring.domain.crm_events import ManualLog
from services.scoring.domain.instants import US_PER_HOUR, day_of
from services.scoring.domain.records import ObjectType


class DayColumn(IntEnum):
    """The counters of one rep and day (UTC), in storage order."""

    ITEMS_SYNCED = 0  # any captured item, cancelled or deleted included: evidence capture works
    EMAILS_SENT = 1  # the rest of the activity counters: external, not cancelled or deleted
    EMAILS_RECEIVED = 2
    MEETINGS = 3  # not all-day, not declined by the rep
    EXTERNAL_MATCHED = 4  # of those, matched to a CRM record
    LOGINS = 5
    CRM_WRITES = 6  # record changes the rep made, plus manual logs entered (by entry day)
    LOGS_ENTERED = 7  # manual logs, by the day they were entered
    LOGS_WITHIN_24H = 8
    LOGS_LATE_48H = 9
    LOGS_CATCH_UP = 10  # entered on a later day than the activity, but within 48 h
    LOGGED_MEETINGS = 11  # manual logs of meetings, by the day the meeting happened
    WRITTEN_BACK = 12  # activities the plugin wrote back for the rep, by the day they happened


DAY_COLUMNS = tuple(c.name.lower() for c in DayColumn)
RepDayKey: TypeAlias = tuple[str, str, date]  # tenant, rep, day
OpportunityDayKey: TypeAlias = tuple[str, str, str, date]  # tenant, opportunity, rep, day
LATE_US = 48 * US_PER_HOUR
TIMELY_US = 24 * US_PER_HOUR
_ZERO = (0,) * len(DayColumn)


@dataclass
class Deltas:
    """Changes to the day counters and to the activity count per opportunity and day."""

    rep_days: dict[RepDayKey, list[int]] = field(default_factory=dict)
    opportunity_days: dict[OpportunityDayKey, int] = field(default_factory=dict)

    def add(self, key: RepDayKey, column: DayColumn, amount: int) -> None:
        counts = self.rep_days.get(key)
        if counts is None:
            counts = self.rep_days[key] = list(_ZERO)
        counts[column] += amount

    def add_opportunity(self, key: OpportunityDayKey, amount: int) -> None:
        self.opportunity_days[key] = self.opportunity_days.get(key, 0) + amount

    def merge(self, other: Deltas) -> None:
        for key, counts in other.rep_days.items():
            mine = self.rep_days.get(key)
            if mine is None:
                self.rep_days[key] = list(counts)
            else:
                for i, n in enumerate(counts):
                    mine[i] += n
        for okey, n in other.opportunity_days.items():
            self.add_opportunity(okey, n)

    def nonzero_rep_days(self) -> Iterator[tuple[RepDayKey, list[int]]]:
        return ((k, v) for k, v in self.rep_days.items() if any(v))

    def nonzero_opportunity_days(self) -> Iterator[tuple[OpportunityDayKey, int]]:
        return ((k, v) for k, v in self.opportunity_days.items() if v)


def add_activity(deltas: Deltas, row: ActivityRow, sign: int) -> None:
    """Add (sign=+1) or remove (sign=-1) what an activity row contributes."""
    key = (row.tenant_id, row.rep_id, day_of(row.occurred_us))
    deltas.add(key, DayColumn.ITEMS_SYNCED, sign)
    if not row.counts_as_external_activity:
        return
    if row.kind == EMAIL_SENT:
        deltas.add(key, DayColumn.EMAILS_SENT, sign)
    elif row.kind == EMAIL_RECEIVED:
        deltas.add(key, DayColumn.EMAILS_RECEIVED, sign)
    elif row.kind == MEETING:
        deltas.add(key, DayColumn.MEETINGS, sign)
    if row.match.matched:
        deltas.add(key, DayColumn.EXTERNAL_MATCHED, sign)
    if row.match.opportunity_id:
        deltas.add_opportunity((row.tenant_id, row.match.opportunity_id, row.rep_id, key[2]), sign)


def add_manual_log(deltas: Deltas, tenant_id: str, rep_id: str, log: ManualLog, sign: int) -> None:
    occurred_day = day_of(log.occurred_us)
    if log.is_write_back:
        # Our own captured activity, written into the CRM by the plugin: not the rep's effort, and
        # already counted on its opportunity through the activity's match.
        deltas.add((tenant_id, rep_id, occurred_day), DayColumn.WRITTEN_BACK, sign)
        return
    logged = (tenant_id, rep_id, day_of(log.logged_us))
    delay_us = log.logged_us - log.occurred_us
    deltas.add(logged, DayColumn.LOGS_ENTERED, sign)
    deltas.add(logged, DayColumn.CRM_WRITES, sign)
    if delay_us <= TIMELY_US:
        deltas.add(logged, DayColumn.LOGS_WITHIN_24H, sign)
    if delay_us > LATE_US:
        deltas.add(logged, DayColumn.LOGS_LATE_48H, sign)
    elif logged[2] > occurred_day:
        deltas.add(logged, DayColumn.LOGS_CATCH_UP, sign)
    if log.is_meeting:
        deltas.add((tenant_id, rep_id, occurred_day), DayColumn.LOGGED_MEETINGS, sign)
    if log.related_type is ObjectType.OPPORTUNITY and log.related_crm_id:
        deltas.add_opportunity((tenant_id, log.related_crm_id, rep_id, occurred_day), sign)


def add_login(deltas: Deltas, tenant_id: str, rep_id: str, login_us: int) -> None:
    deltas.add((tenant_id, rep_id, day_of(login_us)), DayColumn.LOGINS, 1)


def add_crm_write(deltas: Deltas, tenant_id: str, rep_id: str, written_us: int) -> None:
    deltas.add((tenant_id, rep_id, day_of(written_us)), DayColumn.CRM_WRITES, 1)
