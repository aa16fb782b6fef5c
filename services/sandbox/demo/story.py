"""What happened in the demo's 60 days, split the way it reaches Groundtruth in real life:

- mail and meetings sit in the reps' mailboxes (the provider emulators), where capture finds them;
- CRM changes (accounts, contacts, deals and their stages, logins, manual logs, forecasts) come from
  the CRM plugin through the gateway;
- the tenant's configuration (teams, managers, required fields, stages, go-live) and capture policy
  are set by the tenant admin through the gateway's admin API.

Scoring's synthetic organisation produces the events; this module only sorts and reshapes them.
Pure: the same `DemoSpec` always gives the same story.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from services.sandbox.demo.organisation import (
    CONNECTION_IDS,
    DOMAINS,
    TENANT_ID,
    DemoOrganisation,
    DemoRep,
    DemoSpec,
    DemoTeam,
    Provider,
)
from services.sandbox.synthetic.organisation import Archetype

CRM_SOURCE = "demo-crm"
_TOPICS = (
    "Renewal terms", "Pricing question", "Security review", "Pilot scope", "Kick-off", "Invoice",
    "Roadmap briefing", "Contract redlines", "Reference call", "Onboarding plan", "Quarterly review",
    "Procurement forms", "Technical deep-dive", "Proposal", "Next steps",
)  # fmt: skip


HOLIDAY_STARTED_DAYS_AGO = 5  # one rep is on holiday: out of office since five days ago...
HOLIDAY_DAYS = 10  # ...for ten days


@dataclass(frozen=True)
class Holiday:
    """A rep out of office by their calendar: nothing of theirs happens meanwhile, and their calendar
    holds the out-of-office entry (Graph `showAs: oof`, Google `eventType: outOfOffice`)."""

    rep_id: str
    provider: Provider
    starts: datetime
    ends: datetime

    def covers(self, at: datetime) -> bool:
        return self.starts <= at < self.ends


class ItemKind(StrEnum):
    SENT = "sent"  # an e-mail the rep sent to a customer
    RECEIVED = "received"  # an e-mail a customer sent to the rep
    MEETING = "meeting"  # a meeting the rep organised with a customer


@dataclass(frozen=True)
class MailboxItem:
    """One e-mail or meeting in a rep's mailbox, as the provider will hold it."""

    rep_id: str  # the mailbox address
    provider: Provider
    kind: ItemKind
    at: datetime  # sent, or the meeting's start
    minutes: int  # the meeting's length (0 for e-mail)
    counterpart: str  # the customer's address
    subject: str

    @property
    def sender(self) -> str:
        return self.counterpart if self.kind is ItemKind.RECEIVED else self.rep_id

    @property
    def recipient(self) -> str:
        return self.rep_id if self.kind is ItemKind.RECEIVED else self.counterpart


class DemoStory:
    """The demo organisation and its history up to now (meetings of today included)."""

    def __init__(self, spec: DemoSpec | None = None) -> None:
        spec = spec or DemoSpec()
        self.spec = spec
        self.organisation = DemoOrganisation(spec)
        self.mailbox_items: list[MailboxItem] = []
        self.crm_events: list[crm_pb2.CrmEvent] = []
        self.tenant_config: crm_pb2.TenantConfig = crm_pb2.TenantConfig()
        providers = {r.rep_id: r.provider for r in self.organisation.reps}
        self.holiday = _holiday(self.organisation, spec.today)
        for event in self.organisation.synthetic.events():
            if event.rep_id == self.holiday.rep_id and self.holiday.covers(event.occurred_at.ToDatetime(UTC)):
                continue  # away: no mail, no meeting, no CRM use
            if isinstance(event, activity_pb2.Activity):
                self.mailbox_items.append(_item(event, providers[event.rep_id], len(self.mailbox_items)))
            elif event.WhichOneof("payload") == "tenant_config_updated":
                self.tenant_config = event.tenant_config_updated.config
            else:
                self.crm_events.append(as_plugin_event(event))

    @property
    def reps(self) -> list[DemoRep]:
        return self.organisation.reps

    def showcase(self) -> tuple[DemoTeam, DemoRep]:
        """Whom a newcomer signs in as: the first team (its manager's dashboard) and its first
        adopter (a rep view with meetings, logging and a score worth explaining)."""
        team = self.organisation.teams[0]
        return team, next(r for r in team.members if r.archetype is Archetype.ADOPTER)

    def items_of(self, rep_id: str) -> list[MailboxItem]:
        return [i for i in self.mailbox_items if i.rep_id == rep_id]

    def config_body(self) -> dict[str, Any]:
        """`PUT /v1/admin/config`: teams with their managers, the people directory (names, roles,
        start dates), required fields, stages, go-live."""
        config = self.tenant_config
        return {
            "internal_domains": sorted(DOMAINS.values()),
            "required_opportunity_fields": list(config.required_opportunity_fields),
            "stages": list(config.stages),
            "go_live_date": config.go_live_date,
            "teams": [
                {
                    "team_id": t.team_id,
                    "name": t.name,
                    "manager_rep_id": t.manager_rep_id,
                    "member_rep_ids": [r.rep_id for r in t.members],
                }
                for t in self.organisation.teams
            ],
            "people": self.organisation.people(),
            "uses_write_back": config.uses_write_back,
            "window_days": config.window_days,
        }

    def capture_policy_body(self) -> dict[str, Any]:
        """`PUT /v1/admin/capture-policy`: subjects are shown in the demo (the default is metadata)."""
        return {"capture_level": "subject", "internal_domains": sorted(DOMAINS.values())}

    def mailboxes_body(self, provider: Provider) -> dict[str, Any]:
        """`PUT /v1/admin/connections/{id}/mailboxes`: each rep's mailbox, assigned to the rep."""
        return {
            "mailboxes": [
                {"address": r.rep_id, "rep_id": r.rep_id} for r in self.organisation.reps_on(provider)
            ]
        }

    @staticmethod
    def connection_id(provider: Provider) -> str:
        return CONNECTION_IDS[provider]

    @property
    def tenant_id(self) -> str:
        return TENANT_ID


def _holiday(organisation: DemoOrganisation, today: date) -> Holiday:
    """The first team's second adopter (the first is the showcase) is on holiday."""
    team = organisation.teams[0]
    rep = [r for r in team.members if r.archetype is Archetype.ADOPTER][1]
    starts = datetime.combine(today - timedelta(days=HOLIDAY_STARTED_DAYS_AGO), time(0), tzinfo=UTC)
    return Holiday(rep.rep_id, rep.provider, starts, starts + timedelta(days=HOLIDAY_DAYS))


def as_plugin_event(event: crm_pb2.CrmEvent) -> crm_pb2.CrmEvent:
    """The event as a CRM plugin sends it: the gateway assigns the tenant, id and observed time."""
    out = crm_pb2.CrmEvent()
    out.CopyFrom(event)
    out.ClearField("tenant_id")
    out.ClearField("event_id")
    out.ClearField("observed_at")
    out.source = CRM_SOURCE
    return out


def _item(activity: activity_pb2.Activity, provider: Provider, ordinal: int) -> MailboxItem:
    kind = {
        activity_pb2.ACTIVITY_KIND_EMAIL_SENT: ItemKind.SENT,
        activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED: ItemKind.RECEIVED,
    }.get(activity.kind, ItemKind.MEETING)
    start = activity.occurred_at.ToDatetime(UTC)
    minutes = 0
    if kind is ItemKind.MEETING:
        minutes = int((activity.end_at.ToDatetime(UTC) - start).total_seconds() // 60)
    counterpart = next(p.address for p in activity.participants if not p.is_internal)
    topic = _TOPICS[(ordinal * 7 + len(counterpart)) % len(_TOPICS)]
    subject = f"Re: {topic}" if kind is ItemKind.SENT else topic
    return MailboxItem(activity.rep_id, provider, kind, start, minutes, counterpart, subject)


@functools.lru_cache(maxsize=2)
def story_for(seed: int, today: date | None) -> DemoStory:
    """The story for a seed and day (today when None), built once per process: the emulators of
    both providers read it."""
    return DemoStory(DemoSpec(seed=seed, today=today or datetime.now(UTC).date()))
