"""The emulated Workspace: directory, mailboxes, calendars, faults and push, plus the control API
tests use to change it and the ground truth they compare against."""

from __future__ import annotations

import copy
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formataddr
from typing import Any

from services.sandbox.emulators.google.calendar import Calendar, StoredEvent, horizon_from, instant, rfc3339
from services.sandbox.emulators.google.faults import Api, FaultKind, Faults, QuotaEnforcer
from services.sandbox.emulators.google.identity import Directory, ServiceAccount
from services.sandbox.emulators.google.mailbox import Mailbox, StoredMessage
from services.sandbox.emulators.google.push import PushDispatcher
from services.sandbox.emulators.google.recurrence import basic_format

READ_SCOPES = (
    "https://www.googleapis.com/auth/gmail.metadata",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
)
_EVENT_ID_ALPHABET = "abcdefghijklmnopqrstuv0123456789"  # base32hex, as Google requires


class GoogleWorld:
    """All state of the emulator. Every method is safe to call from any thread (one lock).

    Mail is delivered to every mailbox of the domain it concerns: the sender's copy is labelled SENT,
    each internal recipient's INBOX, with the same Message-ID header. A meeting is stored in the
    calendar of its organizer and of every internal attendee, under the same event id.
    """

    def __init__(
        self,
        domain: str,
        *,
        seed: int = 7,
        anchor: datetime | None = None,
        project_id: str = "groundtruth-emulator",
        enforce_quotas: bool = True,
        horizon_days: int = 366,
    ) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.anchor = anchor or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.directory = Directory(domain)
        self.service_account: ServiceAccount = self.directory.add_service_account(
            "groundtruth-capture", project_id, client_id=str(100_000_000_000_000_000_000 + seed)
        )
        self.directory.grant_delegation(self.service_account.client_id, READ_SCOPES)
        self.mailboxes: dict[str, Mailbox] = {}
        self.calendars: dict[str, Calendar] = {}
        self.faults = Faults()
        self.quotas = QuotaEnforcer(enabled=enforce_quotas)
        self.push = PushDispatcher()
        # Authenticated API calls per (user, method), whether they succeeded or not.
        self.served: Counter[tuple[str, str]] = Counter()
        self._horizon_days = horizon_days
        self.latency_sec = 0.0  # every API answer waits this long first (a network round trip)
        self._threads: dict[tuple[str, str], str] = {}
        self._last_update = 0.0

    @property
    def domain(self) -> str:
        return self.directory.domain

    def users(self) -> list[str]:
        return list(self.directory.users)

    def is_internal(self, address: str) -> bool:
        return address.lower().rsplit("@", 1)[-1] == self.domain

    def add_user(self, address: str, display_name: str) -> None:
        address = address.lower()
        with self.lock:
            if not self.is_internal(address):
                raise ValueError(f"{address} is not in {self.domain}")
            self.directory.add_user(address, display_name)
            mailbox = Mailbox(address, random.Random(f"{address}/mail"), self.rng.randrange(10**6, 10**7))
            mailbox.on_change.append(self.push.on_mail_change)
            self.mailboxes[address] = mailbox
            calendar = Calendar(address, horizon_from(lambda: datetime.now(UTC), self._horizon_days))
            calendar.on_change.append(self.push.on_calendar_change)
            self.calendars[address] = calendar

    def key_file(self, token_uri: str) -> dict[str, str]:
        return self.service_account.key_file(token_uri)

    # -- mail ---------------------------------------------------------------------------------------

    def send_mail(
        self,
        *,
        sender: str,
        to: Sequence[str],
        cc: Sequence[str] = (),
        subject: str = "",
        sent_at: datetime | None = None,
        thread: str | None = None,
        extra_labels: Sequence[str] = (),
    ) -> dict[str, str]:
        """Deliver one e-mail to every internal mailbox it touches; returns {mailbox: gmail id}."""
        sent_at = sent_at or datetime.now(UTC)
        with self.lock:
            domain_part = sender.rsplit("@", 1)[-1]
            message_id = f"<{self.rng.getrandbits(80):020x}@{domain_part}>"
            headers = [
                ("Received", "from mx.emulator (127.0.0.1) by mx.google.com"),
                ("From", self._display(sender)),
                ("To", ", ".join(self._display(a) for a in to)),
                *([("Cc", ", ".join(self._display(a) for a in cc))] if cc else []),
                ("Subject", subject),
                ("Date", format_datetime(sent_at)),
                ("Message-ID" if self.rng.random() < 0.7 else "Message-Id", message_id),
                ("MIME-Version", "1.0"),
            ]
            placed: dict[str, str] = {}
            for address in dict.fromkeys(a.lower() for a in (sender, *to, *cc)):
                if address not in self.mailboxes:
                    continue
                labels = ["SENT"] if address == sender.lower() else ["INBOX", "UNREAD", "CATEGORY_PERSONAL"]
                stored = self.add_message(
                    address,
                    labels=[*labels, *extra_labels],
                    headers=headers,
                    internal_date=sent_at + timedelta(seconds=self.rng.randint(0, 3)),
                    thread=thread,
                )
                placed[address] = stored.id
            return placed

    def add_message(
        self,
        user: str,
        *,
        labels: Iterable[str],
        headers: list[tuple[str, str]],
        internal_date: datetime,
        thread: str | None = None,
    ) -> StoredMessage:
        with self.lock:
            mailbox = self.mailboxes[user.lower()]
            thread_id = self._threads.get((mailbox.address, thread)) if thread else None
            stored = mailbox.add_message(
                thread_id=thread_id,
                label_ids=labels,
                internal_date_ms=int(internal_date.timestamp() * 1000),
                headers=list(headers),
            )
            if thread and thread_id is None:
                self._threads[(mailbox.address, thread)] = stored.thread_id
            return stored

    def poison_message(self, user: str, message_id: str, replace: dict[str, Any]) -> None:
        """From now on messages.get serves these properties instead (any JSON: a hostile provider)."""
        with self.lock:
            self.mailboxes[user.lower()]._get(message_id).hostile = dict(replace)

    def poison_event(self, user: str, event_id: str, replace: dict[str, Any]) -> None:
        """`user`'s copy of the event is served with these properties instead (any JSON), as a change."""
        with self.lock:
            calendar = self.calendars[user.lower()]
            calendar.put(copy.deepcopy(calendar.events[event_id].resource) | replace)

    def modify_labels(
        self, user: str, message_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        with self.lock:
            self.mailboxes[user.lower()].modify_labels(message_id, add=add, remove=remove)

    def delete_message(self, user: str, message_id: str) -> None:
        with self.lock:
            self.mailboxes[user.lower()].delete_message(message_id)

    def expire_history(self, user: str) -> None:
        with self.lock:
            self.mailboxes[user.lower()].expire_history()

    def _display(self, address: str) -> str:
        name = self.directory.users.get(address.lower())
        if name is None:
            local = address.split("@", 1)[0]
            name = local.replace(".", " ").title()
        return formataddr((name, address))

    # -- calendar -----------------------------------------------------------------------------------

    def create_event(
        self,
        *,
        organizer: str,
        summary: str,
        start: datetime,
        end: datetime,
        attendees: Sequence[tuple[str, str]] = (),
        all_day: bool = False,
        visibility: str = "default",
        recurrence: Sequence[str] = (),
        event_id: str | None = None,
        event_type: str = "default",
    ) -> str:
        """A meeting in every internal participant's calendar; attendees are (address, responseStatus).
        `event_type` "outOfOffice" makes the organizer's out-of-office entry (as Calendar does: no
        attendees, and a decline message capture never reads)."""
        with self.lock:
            eid = event_id or "".join(self.rng.choice(_EVENT_ID_ALPHABET) for _ in range(26))
            now = self._now_rfc3339()
            resource: dict[str, Any] = {
                "kind": "calendar#event",
                "id": eid,
                "status": "confirmed",
                "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
                "created": now,
                "updated": now,
                "summary": summary,
                "creator": {"email": organizer},
                "organizer": {"email": organizer},
                "start": _when(start, all_day),
                "end": _when(end, all_day),
                "iCalUID": f"{eid}@google.com",
                "sequence": 0,
                "reminders": {"useDefault": True},
                "eventType": event_type,
            }
            if event_type == "outOfOffice":
                resource["transparency"] = "opaque"
                resource["outOfOfficeProperties"] = {
                    "autoDeclineMode": "declineOnlyNewConflictingInvitations",
                    "declineMessage": "I am away.",
                }
            if visibility != "default":
                resource["visibility"] = visibility
            if recurrence:
                resource["recurrence"] = list(recurrence)
            if attendees:
                resource["attendees"] = [
                    {"email": address, "responseStatus": status}
                    | (
                        {"displayName": self.directory.users[address]}
                        if address in self.directory.users
                        else {}
                    )
                    | ({"organizer": True} if address == organizer else {})
                    for address, status in attendees
                ]
            holders = [
                a for a in dict.fromkeys([organizer, *(a for a, _ in attendees)]) if a in self.calendars
            ]
            for holder in holders:
                self.calendars[holder].put(_as_seen_by(resource, holder))
            return eid

    def update_event(self, event_id: str, **fields: Any) -> None:
        with self.lock:
            for calendar, stored in self._copies(event_id):
                resource = copy.deepcopy(stored.resource) | fields
                resource["updated"] = self._now_rfc3339()
                resource["sequence"] = int(resource.get("sequence", 0)) + 1
                calendar.put(_as_seen_by(resource, calendar.owner))

    def delete_event(self, event_id: str) -> None:
        with self.lock:
            for calendar, stored in self._copies(event_id):
                resource = copy.deepcopy(stored.resource) | {
                    "status": "cancelled",
                    "updated": self._now_rfc3339(),
                }
                calendar.put(resource, deleted=True)

    def cancel_occurrence(self, series_id: str, original_start: datetime) -> str:
        return self._exception(series_id, original_start, {"status": "cancelled"})

    def modify_occurrence(self, series_id: str, original_start: datetime, **fields: Any) -> str:
        return self._exception(series_id, original_start, fields)

    def _exception(self, series_id: str, original_start: datetime, fields: dict[str, Any]) -> str:
        with self.lock:
            copies = self._copies(series_id)
            master = copies[0][1].resource
            all_day = "date" in master["start"]
            instance_id = f"{series_id}_{basic_format(original_start.date() if all_day else original_start)}"
            duration = instant(master["end"]) - instant(master["start"])
            original = _when(original_start, all_day)
            for calendar, stored in copies:
                existing = calendar.events.get(instance_id)
                base = existing.resource if existing else stored.resource
                resource = {k: v for k, v in copy.deepcopy(base).items() if k != "recurrence"}
                resource.update(
                    id=instance_id,
                    recurringEventId=series_id,
                    originalStartTime=original,
                    start=original,
                    end=_when(original_start + duration, all_day),
                    updated=self._now_rfc3339(),
                )
                resource.update(fields)
                calendar.put(_as_seen_by(resource, calendar.owner))
            return instance_id

    def expire_sync_tokens(self, user: str) -> None:
        with self.lock:
            self.calendars[user.lower()].expire_sync_tokens()

    def _copies(self, event_id: str) -> list[tuple[Calendar, StoredEvent]]:
        copies = [(c, c.events[event_id]) for c in self.calendars.values() if event_id in c.events]
        if not copies:
            raise KeyError(f"no event {event_id}")
        return copies

    def _now_rfc3339(self) -> str:
        # Strictly increasing, so every change has a later `updated` than the one before.
        now = max(time.time(), self._last_update + 0.001)
        self._last_update = now
        return rfc3339(datetime.fromtimestamp(now, UTC))

    # -- faults, identity, push ------------------------------------------------------------------------

    def inject_fault(
        self, user: str, api: Api, kind: FaultKind, *, count: int = 1, status: int | None = None
    ) -> None:
        with self.lock:
            self.faults.inject(user, api, kind, count=count, status=status)

    def set_delegation(self, user: str, *, granted: bool) -> None:
        with self.lock:
            self.directory.set_user_delegation(user, granted=granted)

    def add_push_subscription(self, topic: str, url: str, *, name: str | None = None) -> None:
        with self.lock:
            project = self.service_account.project_id
            subscription = name or f"projects/{project}/subscriptions/push-{len(self.push.subscriptions)}"
            self.push.subscriptions.setdefault(topic, []).append((subscription, url))

    # -- ground truth ---------------------------------------------------------------------------------

    def mailbox_truth(self, user: str) -> list[dict[str, Any]]:
        """Every message the mailbox holds, as messages.get(format=metadata) shows it."""
        with self.lock:
            return [m.resource("metadata", ()) for m in self.mailboxes[user.lower()].messages.values()]

    def calendar_truth(self, user: str) -> list[dict[str, Any]]:
        """Every live event of the calendar as singleEvents=true shows it (series expanded)."""
        with self.lock:
            calendar = self.calendars[user.lower()]
            result: list[dict[str, Any]] = []
            for stored in calendar.events.values():
                if stored.series_id is not None:
                    continue
                items = (
                    list(calendar.instances(stored)) if "recurrence" in stored.resource else [stored.resource]
                )
                result.extend(i for i in items if i.get("status") != "cancelled" and not stored.deleted)
            return copy.deepcopy(result)


def _when(moment: datetime, all_day: bool) -> dict[str, str]:
    if all_day:
        return {"date": moment.date().isoformat()}
    text = moment.isoformat().replace("+00:00", "Z")
    # Google adds the event's zone name; a fixed offset carries none here (the emulator has no tz db).
    return {"dateTime": text, "timeZone": "UTC"} if text.endswith("Z") else {"dateTime": text}


def _as_seen_by(resource: dict[str, Any], owner: str) -> dict[str, Any]:
    seen = copy.deepcopy(resource)
    if seen.get("organizer", {}).get("email") == owner:
        seen["organizer"]["self"] = True
    else:
        seen.get("organizer", {}).pop("self", None)
    for attendee in seen.get("attendees", ()):
        if attendee.get("email") == owner:
            attendee["self"] = True
        else:
            attendee.pop("self", None)
    return seen
