"""A small organisation whose people each have a role and a habit, for scenarios that need one
exact behaviour per rep (an SDR who e-mails all day, a peer adopter of the same role...).

Every rep owns one account with one contact and one open opportunity; on each business day of the
history they e-mail that contact, meet it on some days, and log in, change the deal and log meetings
as their habit says."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.client import crm_viewed
from services.client.leadership import ViewKind
from services.sandbox.synthetic import events as ev
from services.sandbox.synthetic.organisation import Event
from services.scoring.app import running_scoring
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import scoring_settings
from tests.integration.scoring.scenario_support import caught_up, publish_events

DOMAIN = "acme.example"


@dataclass(frozen=True)
class Habit:
    logs_in: bool = True  # logs in every business day
    writes: bool = True  # changes their deal every business day
    emails_per_day: int = 6
    meeting_weekdays: tuple[int, ...] = (1, 3)  # Tuesday and Thursday
    logs_meetings: str = "same_day"  # same_day, friday (in bulk), never
    quiet_last_days: int = 0  # no login and no change in the last N days (a ghost's fade-out)
    fills_budget: bool = True  # fills the required field Budget on their deal
    silent_last_days: int = 0  # capture delivered nothing of theirs in the last N days (a broken mailbox)
    # Out of office for the last N days, today included, by their calendar: nothing happens, and
    # capture delivers the out-of-office entry.
    away_last_days: int = 0
    announces_away: bool = True  # False: away without an out-of-office entry (looks like a dead mailbox)
    # Started N days ago (today included): the CRM and their start date say so, while their mailbox
    # was migrated with the whole history of older mail.
    started_days_ago: int = 0
    new_contacts_per_day: int = 0  # prospects added to the CRM as contacts each business day


@dataclass(frozen=True)
class Leadership:
    """What a manager opens in the CRM, as the CRM plugin reports it (`crm_viewed` events)."""

    review_weekday: int = 0  # runs the weekly pipeline review in the CRM on Mondays
    forecast_weekday: int = 4  # pulls the forecast from the CRM on Fridays
    no_reviews_from: date | None = None  # from this day on, runs the review outside the CRM


@dataclass(frozen=True)
class Member:
    rep_id: str
    role: str
    habit: Habit
    display_name: str = ""


@dataclass(frozen=True)
class HabitWorld:
    tenant_id: str
    today: date
    teams: dict[str, tuple[str, tuple[Member, ...]]]  # team id -> (manager, members)
    days: int = 35
    extra_profiles: tuple[crm_pb2.RoleProfile, ...] = field(default_factory=tuple)
    extra_people: tuple[crm_pb2.Person, ...] = field(default_factory=tuple)
    webhooks: tuple[crm_pb2.NotificationWebhook, ...] = field(default_factory=tuple)
    leadership: dict[str, Leadership] = field(default_factory=dict)  # manager -> what they open

    @property
    def go_live(self) -> date:
        return self.today - timedelta(days=self.days)

    def config(self) -> crm_pb2.TenantConfig:
        people = [
            crm_pb2.Person(
                rep_id=m.rep_id,
                role=m.role,
                display_name=m.display_name or m.rep_id.title(),
                start_date=(
                    (self.today - timedelta(days=m.habit.started_days_ago - 1)).isoformat()
                    if m.habit.started_days_ago
                    else ""
                ),
            )
            for _, members in self.teams.values()
            for m in members
        ]
        people += [crm_pb2.Person(rep_id=manager, role="manager") for manager, _ in self.teams.values()]
        people += self.extra_people
        return crm_pb2.TenantConfig(
            version=1,
            internal_domains=[DOMAIN],
            required_opportunity_fields=["Budget"],
            stages=["Qualify", "Propose", "Closed Won", "Closed Lost"],
            go_live_date=self.go_live.isoformat(),
            teams=[
                crm_pb2.Team(
                    team_id=t, name=t, manager_rep_id=manager, member_rep_ids=[m.rep_id for m in members]
                )
                for t, (manager, members) in self.teams.items()
            ],
            people=people,
            role_profiles=list(self.extra_profiles),
            notification_webhooks=list(self.webhooks),
            window_days=28,
        )

    def events(self) -> Iterator[Event]:
        start = datetime.combine(self.go_live, time(6), tzinfo=UTC)
        yield ev.tenant_config(tenant_id=self.tenant_id, config=self.config(), at=start)
        for manager, members in self.teams.values():
            for member in members:
                yield from self._member(member, start)
            for offset in range(self.days):
                day = self.go_live + timedelta(days=offset)
                if day.weekday() < 5:
                    at = datetime.combine(day, time(8), tzinfo=UTC)
                    yield ev.login(tenant_id=self.tenant_id, rep_id=manager, at=at)
                if manager in self.leadership:
                    yield from self._views(manager, self.leadership[manager], day)

    def _views(self, manager: str, habit: Leadership, day: date) -> Iterator[Event]:
        """The plugin client's events for the day (the gateway adds the envelope: id and times)."""
        kinds: list[ViewKind] = []
        if day.weekday() == habit.review_weekday and (
            habit.no_reviews_from is None or day < habit.no_reviews_from
        ):
            kinds.append("pipeline_review")
        if day.weekday() == habit.forecast_weekday:
            kinds.append("forecast")
        for kind in kinds:
            at = _at(day, 10)
            event = crm_viewed(
                rep_id=manager, kind=kind, viewed_at=at, name=f"weekly {kind}", source="plugin"
            )
            event.event_id = f"{manager}-{kind}-{day.isoformat()}"
            event.tenant_id = self.tenant_id
            event.occurred_at.FromDatetime(at)
            event.observed_at.FromDatetime(at)
            yield event

    def _member(self, member: Member, start: datetime) -> Iterator[Event]:
        t, rep, habit = self.tenant_id, member.rep_id, member.habit
        account, contact, deal = f"{rep}-acc", f"{rep}-con", f"{rep}-opp"
        address = f"buyer@{rep}-customer.example"
        yield ev.upsert(tenant_id=t, object_type="account", crm_id=account, name=f"{rep} customer",
                        owner_rep_id=rep, domains=[f"{rep}-customer.example"], modified_at=start)  # fmt: skip
        yield ev.upsert(tenant_id=t, object_type="contact", crm_id=contact, name="Buyer", email=address,
                        account_crm_id=account, owner_rep_id=rep, modified_at=start)  # fmt: skip
        yield self._deal(rep, account, deal, start, modified_by="", budget=habit.fills_budget)
        unlogged: list[datetime] = []
        counter = 0
        if habit.away_last_days and habit.announces_away:
            first_away = self.today - timedelta(days=habit.away_last_days - 1)
            yield ev.away(tenant_id=t, rep_id=rep, item_id=f"{rep}-oof",
                          starts_at=datetime.combine(first_away, time(0), tzinfo=UTC),
                          ends_at=datetime.combine(self.today + timedelta(days=3), time(0), tzinfo=UTC),
                          modified_at=start)  # fmt: skip
        for offset in range(self.days):
            day = self.go_live + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            if (self.today - day).days < habit.away_last_days:
                continue
            quiet = (self.today - day).days <= habit.quiet_last_days
            if habit.started_days_ago and (self.today - day).days >= habit.started_days_ago:
                quiet = True  # before they started: old mail in the mailbox, nothing in the CRM
            if (self.today - day).days <= habit.silent_last_days:
                if habit.logs_in:
                    yield ev.login(tenant_id=t, rep_id=rep, at=_at(day, 8, 30))
                continue
            for n in range(habit.emails_per_day):
                counter += 1
                kind = (
                    activity_pb2.ACTIVITY_KIND_EMAIL_SENT
                    if n % 2
                    else activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED
                )
                yield ev.activity(tenant_id=t, rep_id=rep, item_id=f"{rep}-mail-{counter}", kind=kind,
                                  occurred_at=_at(day, 9 + n % 8, n % 60), external=[address],
                                  mailbox_domain=DOMAIN)  # fmt: skip
            if day.weekday() in habit.meeting_weekdays:
                counter += 1
                meeting_at = _at(day, 14)
                yield ev.activity(tenant_id=t, rep_id=rep, item_id=f"{rep}-meet-{counter}",
                                  kind=activity_pb2.ACTIVITY_KIND_MEETING, occurred_at=meeting_at,
                                  external=[address], mailbox_domain=DOMAIN,
                                  observed_at=meeting_at - timedelta(days=1))  # fmt: skip
                if habit.logs_meetings == "same_day" and not quiet:
                    yield self._log(rep, counter, meeting_at, meeting_at + timedelta(hours=1), deal)
                elif habit.logs_meetings == "friday":
                    unlogged.append(meeting_at)
            if quiet:
                continue
            if habit.logs_in:
                yield ev.login(tenant_id=t, rep_id=rep, at=_at(day, 8, 30))
            for n in range(habit.new_contacts_per_day):
                yield ev.upsert(tenant_id=t, object_type="contact", crm_id=f"{rep}-prospect-{day}-{n}",
                                name="Prospect", email=f"prospect-{day}-{n}@{rep}-customer.example",
                                account_crm_id=account, owner_rep_id=rep, modified_at=_at(day, 11),
                                modified_by_rep_id=rep)  # fmt: skip
            if habit.writes:
                yield self._deal(rep, account, deal, _at(day, 17), modified_by=rep, budget=habit.fills_budget)
            if habit.logs_meetings == "friday" and day.weekday() == 4:
                for meeting_at in unlogged:
                    counter += 1
                    yield self._log(rep, counter, meeting_at, _at(day, 16, 30), deal)
                unlogged = []

    def _deal(
        self, rep: str, account: str, deal: str, at: datetime, *, modified_by: str, budget: bool = True
    ) -> crm_pb2.CrmEvent:
        return ev.upsert(tenant_id=self.tenant_id, object_type="opportunity", crm_id=deal, name=f"{rep} deal",
                         owner_rep_id=rep, account_crm_id=account, stage="Qualify", amount=10_000.0,
                         close_date=self.today + timedelta(days=60), next_step="Call",
                         next_step_date=self.today + timedelta(days=5),
                         fields={"Budget": "10000" if budget else ""},
                         modified_by_rep_id=modified_by, modified_at=at)  # fmt: skip

    def _log(self, rep: str, n: int, occurred: datetime, logged: datetime, deal: str) -> crm_pb2.CrmEvent:
        return ev.manual_log(tenant_id=self.tenant_id, rep_id=rep, crm_activity_id=f"{rep}-log-{n}",
                             occurred_at=occurred, logged_at=logged, related_crm_id=deal,
                             related_object_type="opportunity")  # fmt: skip


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@contextlib.asynccontextmanager
async def scored_world(
    isolated: Isolated, world: HabitWorld, group: str
) -> AsyncIterator[scoring_pb2_grpc.ScoringQueryAsyncStub]:
    """The real scoring service on the session's broker and database, fed the world's events through
    Kafka, caught up and fully rescored once: its query API. One per test module (its own group)."""
    async with running_scoring(scoring_settings(isolated, group=group)) as running:
        await publish_events(isolated.bootstrap_servers, isolated.topics, world.events())
        await eventually(
            lambda: caught_up(isolated.bootstrap_servers, group, isolated.topics), timeout_sec=120
        )
        async with isolated.client_tls.channel(f"127.0.0.1:{running.grpc_port}") as channel:
            admin = scoring_pb2_grpc.ScoringAdminStub(channel)
            await admin.RescoreTenant(scoring_pb2.RescoreTenantRequest(tenant_id=world.tenant_id))
            yield scoring_pb2_grpc.ScoringQueryStub(channel)
