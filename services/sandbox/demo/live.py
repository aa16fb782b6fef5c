"""What keeps happening while the demo runs: one rep at a time does what their archetype does.

Tick n picks a rep (every rep once per round, in an order shuffled from the seed and the round) and
produces what that rep does right now:
- everyone whose mailbox works writes or receives an e-mail, or has just finished a customer meeting;
- adopters (and the rep whose mailbox went silent, who still works like one) open the CRM, log the
  meeting within minutes and now and then move a deal forward;
- skeptics open the CRM and change nothing; bulk-loggers only open it on Mondays and Fridays;
- ghosts never touch it.

The sequence is a pure function of the story's seed and the tick numbers; only the timestamps follow
the clock passed in, so the demo's times stay relative to now. Ticks must be taken in order from 0
(deal stages carry over from one tick to the next).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from groundtruth.crm.v1 import crm_pb2
from services.sandbox.demo.organisation import DemoRep
from services.sandbox.demo.story import CRM_SOURCE, DemoStory, ItemKind, MailboxItem, as_plugin_event
from services.sandbox.synthetic import events as ev
from services.sandbox.synthetic.organisation import NEXT_STEPS, STAGES, Archetype

MEETING_SHARE = 0.35  # of ticks that are a meeting rather than an e-mail
DEAL_UPDATE_SHARE = 0.25  # of an adopter's ticks that also move a deal
_LOGGING = (Archetype.ADOPTER, Archetype.SILENT_MAILBOX)
_SUBJECTS = ("Quick question", "Updated quote", "Meeting notes", "Follow-up", "Agenda for Thursday")


@dataclass(frozen=True)
class Tick:
    number: int
    rep: DemoRep
    items: tuple[MailboxItem, ...]  # new mail or meetings in the rep's mailbox
    crm_events: tuple[crm_pb2.CrmEvent, ...]  # what the CRM plugin pushes, as a plugin sends it


@dataclass
class _Deal:
    latest: crm_pb2.RecordUpserted  # the last state the CRM pushed
    contact: str  # the primary contact's address


class LiveStory:
    """The endless continuation of a `DemoStory`; `tick(n, now)` for n = 0, 1, 2, ..."""

    def __init__(self, story: DemoStory) -> None:
        self.story = story
        self._reps = story.reps
        self._next = 0
        contacts: dict[str, str] = {}  # contact CRM id -> address
        self._contacts: dict[str, list[str]] = {r.rep_id: [] for r in self._reps}
        self._deals: dict[str, dict[str, _Deal]] = {r.rep_id: {} for r in self._reps}
        for event in story.crm_events:
            if event.WhichOneof("payload") != "record_upserted":
                continue
            record = event.record_upserted
            if record.object_type == crm_pb2.CRM_OBJECT_TYPE_CONTACT:
                contacts[record.crm_id] = record.email
                self._contacts[record.owner_rep_id].append(record.email)
            elif record.object_type == crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY:
                deals = self._deals[record.owner_rep_id]
                if record.is_closed:
                    deals.pop(record.crm_id, None)
                    continue
                primary = record.contact_roles[0].contact_crm_id if record.contact_roles else ""
                previous = deals.get(record.crm_id)
                contact = contacts.get(primary, previous.contact if previous else "")
                deals[record.crm_id] = _Deal(record, contact)

    def tick(self, number: int, now: datetime) -> Tick:
        if number != self._next:
            raise ValueError(f"ticks are taken in order: expected {self._next}, got {number}")
        self._next += 1
        rounds, position = divmod(number, len(self._reps))
        order = list(range(len(self._reps)))
        random.Random(f"live:{self.story.spec.seed}:{rounds}").shuffle(order)
        rep = self._reps[order[position]]
        rng = random.Random(f"live:{self.story.spec.seed}:tick:{number}")
        now = now.replace(second=0, microsecond=0)
        if self.story.holiday.rep_id == rep.rep_id and self.story.holiday.covers(now):
            return Tick(number, rep, (), ())  # out of office: their turn passes
        deals = sorted(self._deals[rep.rep_id].items())
        items: list[MailboxItem] = []
        events: list[crm_pb2.CrmEvent] = []
        meeting = rng.random() < MEETING_SHARE and bool(deals)
        if meeting:
            crm_id, deal = deals[rng.randrange(len(deals))]
            start = now - timedelta(minutes=45)
            item = MailboxItem(rep.rep_id, rep.provider, ItemKind.MEETING, start, 30, deal.contact,
                               f"{deal.latest.name}: {rng.choice(_SUBJECTS).lower()}")  # fmt: skip
            if rep.archetype is not Archetype.SILENT_MAILBOX:
                items.append(item)
            if rep.archetype in _LOGGING:
                events.append(self._log(rep, number, start, now, crm_id))
        elif rep.archetype is not Archetype.SILENT_MAILBOX and self._contacts[rep.rep_id]:
            kind = ItemKind.SENT if rng.random() < 0.5 else ItemKind.RECEIVED
            counterpart = rng.choice(self._contacts[rep.rep_id])
            subject = rng.choice(_SUBJECTS)
            items.append(MailboxItem(rep.rep_id, rep.provider, kind, now, 0, counterpart,
                                     f"Re: {subject}" if kind is ItemKind.SENT else subject))  # fmt: skip
        if rep.archetype in (*_LOGGING, Archetype.SKEPTIC) or (
            rep.archetype is Archetype.BULK_LOGGER and now.weekday() in (0, 4)
        ):
            events.insert(0, as_plugin_event(ev.login(tenant_id="", rep_id=rep.rep_id, at=now)))
        if rep.archetype in _LOGGING and deals and rng.random() < DEAL_UPDATE_SHARE:
            events.append(self._move_deal(rep, deals[rng.randrange(len(deals))][1], now))
        return Tick(number, rep, tuple(items), tuple(events))

    @staticmethod
    def _log(rep: DemoRep, number: int, start: datetime, now: datetime, crm_id: str) -> crm_pb2.CrmEvent:
        return as_plugin_event(
            ev.manual_log(
                tenant_id="", rep_id=rep.rep_id, crm_activity_id=f"live-{number}-{rep.rep_id}",
                occurred_at=start, logged_at=now, related_crm_id=crm_id, related_object_type="opportunity",
            )
        )  # fmt: skip

    @staticmethod
    def _move_deal(rep: DemoRep, deal: _Deal, now: datetime) -> crm_pb2.CrmEvent:
        """The deal's next step is refreshed and, before Negotiate, it may advance a stage."""
        record = crm_pb2.RecordUpserted()
        record.CopyFrom(deal.latest)
        index = STAGES.index(record.stage) if record.stage in STAGES else 0
        if index < 2:
            record.stage = STAGES[index + 1]
        # A real next step for the new stage, due within the next days: the deal stays review-ready.
        steps = NEXT_STEPS.get(record.stage, NEXT_STEPS["Qualify"])
        record.next_step = steps[now.toordinal() % len(steps)]
        record.next_step_date = (now.date() + timedelta(days=2 + now.toordinal() % 7)).isoformat()
        record.modified_at.CopyFrom(ev.timestamp(now))
        record.modified_by_rep_id = rep.rep_id
        deal.latest = record
        event = crm_pb2.CrmEvent(rep_id=rep.rep_id, occurred_at=ev.timestamp(now), source=CRM_SOURCE)
        event.record_upserted.CopyFrom(record)
        return event
