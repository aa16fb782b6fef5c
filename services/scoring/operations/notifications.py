"""Feedback loops: the weekly digest and threshold alerts are created after a full rescore, then
delivered at least once to every target, retried with backoff.

Delivery semantics (docs/operations.md, "Digest and alerts"): a note is stored with one delivery row
per target before anything is sent; a target is marked delivered only after it accepted the note, so
a crash between the two sends it again (at least once; receivers deduplicate by the note's id, sent
with it). A refused or failed delivery is retried after 1, 2, 4... minutes (at most an hour apart)
and given up after MAX_ATTEMPTS, which the dashboard shows. Nothing personal is logged: targets are
"email" or a hash of the webhook's url, errors a status code or an error class.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.contracts.roles import DATA_STEWARD
from plumbing.sealed_secrets import SecretsUnavailable
from services.scoring.domain.capture_health import CaptureStatus
from services.scoring.domain.diagnostics import Diagnostic
from services.scoring.domain.playbook.feedback import (
    Health,
    MetricState,
    Note,
    RecordToFix,
    TeamFinding,
    alerts,
    weekly_digests,
)
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.tenant_settings import TenantSettings, Webhook
from services.scoring.operations.settings import SettingsReader
from services.scoring.ports.notifications import DeliveryFailed, MailSender, NotificationStore, WebhookSender

_log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
EMAIL = "email"
RECORDS_SCANNED = 2_000
# A Monday's rescore normally makes the week's digest; this long after Monday 00:00 UTC it is made
# from the newest team health without waiting for it.
DIGEST_GRACE = timedelta(hours=6)


def webhook_target(url: str) -> str:
    return "webhook:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4... minutes, at most an hour."""
    wait: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(wait, LONGEST_WAIT)


def stewards(settings: TenantSettings) -> list[str]:
    """The data stewards' addresses (people directory: role data_steward, with an e-mail)."""
    return sorted({p.email for p in settings.people.values() if p.role == DATA_STEWARD and p.email})


def targets(settings: TenantSettings, *, mail: bool) -> list[str]:
    found = [webhook_target(w.url) for w in settings.webhooks]
    if mail and stewards(settings):
        found.append(EMAIL)
    return found


def _health(snapshots: Sequence[scoring_pb2.TeamHealth]) -> Health:
    return {
        h.team_id: {
            m.name: MetricState(
                m.value if m.available else None, m.target, m.meets_target, m.higher_is_better
            )
            for m in h.metrics
        }
        for h in snapshots
    }


class FeedbackNotes:
    """Creates the day's digests and alerts after a full rescore. May block on the store."""

    def __init__(
        self, store: NotificationStore, *, mail: bool, digest_grace: timedelta = DIGEST_GRACE
    ) -> None:
        self._store = store
        self._mail = mail
        self._digest_grace = digest_grace
        # tenant → the newest week (its Monday, ISO) whose digest this process made or found made.
        # One week per tenant keeps it bounded; an older week asked again is only read again (the
        # note id keeps a second copy out).
        self._week_done: dict[str, str] = {}

    async def after_rescore(
        self,
        settings: TenantSettings,
        results: Sequence[RepScoreResult],
        diagnostics: Sequence[Diagnostic],
        as_of: date,
        now: datetime,
    ) -> int:
        """Store the notes of `as_of` that do not exist yet; returns how many were new."""
        where = targets(settings, mail=self._mail)
        if not where:
            return 0  # nobody to tell: nothing to keep either
        tenant = settings.tenant_id
        today = _health(await self._store.health_on(tenant, as_of))
        yesterday = _health(await self._store.health_on(tenant, as_of - timedelta(days=1)))
        names = {t.team_id: t.name for t in settings.teams}
        # A rep out of office is no incident: their mailbox is fine.
        quiet = (CaptureStatus.HEALTHY, CaptureStatus.AWAY)
        findings = [_mailbox_finding(r) for r in results if r.capture.status not in quiet]
        findings += [
            TeamFinding(d.team_id, d.kind, d.team_id or "tenant", d.title)
            for d in diagnostics
            if d.kind == "unknown_contacts"
        ]
        # The week's digest, if it was not sent yet (a missed Monday is made up on the next rescore).
        # Once made (or found made) by this process, the week's records are not read again on
        # every later rescore: the note's id would keep a second copy out anyway.
        week = (as_of - timedelta(days=as_of.weekday())).isoformat()
        made = self._week_done.get(tenant) == week
        notes = [] if made else await self._digests(settings, as_of, as_of, today)
        notes += alerts(tenant, as_of, today, yesterday, findings, names)
        added = await self._store.add([(to_proto(n, now), where) for n in notes], now=now)
        self._mark_done(tenant, week)
        return added

    async def digests_due(self, settings: SettingsReader, now: datetime) -> int:
        """Scheduled by time, whether or not a rescore ran: once the grace after Monday 00:00 UTC has
        passed, every tenant's digest of this week that does not exist yet, from its newest team
        health of the last seven days (the digest says which day). Idempotent per team and week (the
        note id); returns how many were new."""
        today = now.date()
        monday = today - timedelta(days=today.weekday())
        if now < datetime.combine(monday, time(), tzinfo=UTC) + self._digest_grace:
            return 0
        week = monday.isoformat()
        latest = await self._store.latest_health_days(since=today - timedelta(days=6), until=today)
        added = 0
        for tenant, day in sorted(latest.items()):
            if self._week_done.get(tenant) == week:
                continue  # made (or found made) by this process: the records are not read again
            tenant_settings = await settings.load(tenant)
            where = targets(tenant_settings, mail=self._mail)
            if where:
                notes = await self._digests(tenant_settings, day, today)
                added += await self._store.add([(to_proto(n, now), where) for n in notes], now=now)
            self._mark_done(tenant, week)
        return added

    def _mark_done(self, tenant: str, week: str) -> None:
        # ISO dates compare as text; a rescore of an older day never hides the newer week.
        if week > self._week_done.get(tenant, ""):
            self._week_done[tenant] = week

    async def _digests(
        self,
        settings: TenantSettings,
        as_of: date,
        week_of: date,
        health_as_of: Health | None = None,
    ) -> list[Note]:
        """The digests of `week_of`'s week with the figures of `as_of` (`health_as_of`: already read)."""
        tenant = settings.tenant_id
        today = (
            health_as_of if health_as_of is not None else _health(await self._store.health_on(tenant, as_of))
        )
        week_ago = _health(await self._store.health_on(tenant, as_of - timedelta(days=7)))
        names = {t.team_id: t.name for t in settings.teams}
        records: dict[str, list[RecordToFix]] = {}
        for owner, record in await self._store.records_to_fix(
            tenant, as_of, settings.required_opportunity_fields, RECORDS_SCANNED
        ):
            person = settings.person(owner)
            named = RecordToFix(
                record.object_type,
                record.crm_id,
                record.name,
                owner,
                person.display_name or owner,
                record.problem,
            )
            for team in {settings.team_of(owner), ""}:
                records.setdefault(team, []).append(named)
        return weekly_digests(tenant, as_of, today, week_ago, records, names, week_of)


def _mailbox_finding(r: RepScoreResult) -> TeamFinding:
    """One incident per rep and last delivered day: the same silence is one alert however long."""
    status = r.capture.status.value
    return TeamFinding(
        r.team_id, f"capture_{status}", f"{r.rep_id}:{r.capture.last_activity_date}",
        f"the mailbox of {r.display_name or r.rep_id} is {status}: {r.capture.explanation}",
    )  # fmt: skip


def to_proto(note: Note, now: datetime) -> scoring_pb2.Notification:
    created = Timestamp()
    created.FromDatetime(now)
    return scoring_pb2.Notification(
        id=note.id, tenant_id=note.tenant_id, team_id=note.team_id, kind=note.kind, title=note.title,
        lines=note.lines, created_at=created,
        records=[
            scoring_pb2.RecordToFix(object_type=r.object_type, crm_id=r.crm_id, name=r.name,
                                    owner_rep_id=r.owner_rep_id, owner=r.owner, problem=r.problem)
            for r in note.records
        ],
    )  # fmt: skip


def slack_payload(note: scoring_pb2.Notification) -> bytes:
    """A Slack incoming-webhook message (text + blocks) that any JSON receiver can read too: the note
    itself is under "groundtruth" (its id lets a receiver drop a repeated delivery)."""
    body = "\n".join(f"• {line}" for line in note.lines)
    fix = "\n".join(f"• {r.name} ({r.owner}): {r.problem}" for r in note.records)
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": note.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body or "—"}},
    ]
    if fix:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Records to fix*\n" + fix}})
    meta = {
        "id": note.id, "tenant_id": note.tenant_id, "team_id": note.team_id, "kind": note.kind,
        "title": note.title, "lines": list(note.lines),
        "records": [{"crm_id": r.crm_id, "name": r.name, "owner_rep_id": r.owner_rep_id, "owner": r.owner,
                     "problem": r.problem} for r in note.records],
    }  # fmt: skip
    return json.dumps({"text": note.title, "blocks": blocks, "groundtruth": meta}, sort_keys=True).encode()


def email_text(note: scoring_pb2.Notification) -> str:
    lines = [note.title, "", *(f"- {line}" for line in note.lines)]
    if note.records:
        lines += ["", "Records to fix:", *(f"- {r.name} ({r.owner}): {r.problem}" for r in note.records)]
    lines += ["", f"Reference: {note.id}"]
    return "\n".join(lines)


class NotificationRelay:
    """Delivers what is due, one target at a time. Called by the service's loop every few seconds;
    may block on the store and the targets; never raises for a target's failure (it is recorded)."""

    def __init__(
        self,
        store: NotificationStore,
        settings: SettingsReader,
        webhooks: WebhookSender,
        mail: MailSender | None,
        *,
        batch: int = 100,
        open_secret: Callable[[bytes], str] | None = None,
    ) -> None:
        self._store, self._settings, self._webhooks, self._mail = store, settings, webhooks, mail
        self._batch = batch
        self._open_secret = open_secret

    async def deliver_due(self, now: datetime) -> int:
        """Deliver every due delivery once; returns how many succeeded."""
        done = 0
        for due in await self._store.due(now=now, limit=self._batch):
            note = due.notification
            try:
                await self._send(due.tenant_id, note, due.target)
            except DeliveryFailed as failed:
                attempts = due.attempts + 1
                if attempts >= MAX_ATTEMPTS:
                    await self._store.given_up(
                        due.tenant_id, note.id, due.target, error=failed.reason, now=now
                    )
                else:
                    await self._store.retry_later(
                        due.tenant_id, note.id, due.target, error=failed.reason,
                        next_attempt_at=now + retry_delay(attempts),
                    )  # fmt: skip
                _log.warning(
                    "notification not delivered",
                    extra={"tenant_id": due.tenant_id, "kind": note.kind, "target": due.target.split(":")[0],
                           "attempts": attempts, "reason": failed.reason},
                )  # fmt: skip
                continue
            await self._store.delivered(due.tenant_id, note.id, due.target, now=now)
            done += 1
        return done

    async def _send(self, tenant_id: str, note: scoring_pb2.Notification, target: str) -> None:
        settings = await self._settings.load(tenant_id)
        if target == EMAIL:
            recipients = stewards(settings)
            if self._mail is None or not recipients:
                raise DeliveryFailed("no data steward with an e-mail, or e-mail is not configured")
            await self._mail.send(recipients, note.title, email_text(note))
            return
        hook = next((w for w in settings.webhooks if webhook_target(w.url) == target), None)
        if hook is None:
            raise DeliveryFailed("the webhook is no longer configured")
        await self._webhooks.send(hook.url, self._secret(hook), slack_payload(note))

    def _secret(self, hook: Webhook) -> str:
        """The webhook's signing secret, opened from its sealed form (a clear one only remains in a
        configuration stored before the gateway sealed secrets)."""
        if not hook.sealed_secret:
            return hook.signing_secret
        if self._open_secret is None:
            raise DeliveryFailed("the webhook secret is sealed and GT_SCORING_WEBHOOK_SECRET_KEYS is not set")
        try:
            return self._open_secret(hook.sealed_secret)
        except SecretsUnavailable as exc:
            raise DeliveryFailed(str(exc)) from exc
