"""Neutral items → `groundtruth.activity.v1.Activity`, with deterministic ids so replays are harmless."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.identity import activity_id, event_id, version_id
from services.capture.domain.items import (
    CapturedItem,
    Direction,
    EmailItem,
    ItemKind,
    KnownItem,
    MeetingItem,
    Person,
    Response,
)
from services.capture.domain.privacy import CaptureLevel, DomainSet

# Module attributes, not `activity_pb2.ParticipantRole.X`: the enum wrapper's attribute lookup is a
# Python-level `__getattr__`, and this runs per participant.
_FROM = activity_pb2.PARTICIPANT_ROLE_FROM
_TO = activity_pb2.PARTICIPANT_ROLE_TO
_CC = activity_pb2.PARTICIPANT_ROLE_CC
_ORGANIZER = activity_pb2.PARTICIPANT_ROLE_ORGANIZER
_ATTENDEE = activity_pb2.PARTICIPANT_ROLE_ATTENDEE
_RESPONSE: dict[Response, activity_pb2.ResponseStatus.ValueType] = {
    Response.NONE: activity_pb2.RESPONSE_STATUS_NONE,
    Response.ORGANIZER: activity_pb2.RESPONSE_STATUS_ORGANIZER,
    Response.ACCEPTED: activity_pb2.RESPONSE_STATUS_ACCEPTED,
    Response.TENTATIVE: activity_pb2.RESPONSE_STATUS_TENTATIVE,
    Response.DECLINED: activity_pb2.RESPONSE_STATUS_DECLINED,
    Response.NOT_RESPONDED: activity_pb2.RESPONSE_STATUS_NOT_RESPONDED,
}
_KIND = {
    ItemKind.EMAIL: activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED,
    ItemKind.MEETING: activity_pb2.ACTIVITY_KIND_MEETING,
}
# A retraction must sort after the version it retracts, even when the provider's clock runs ahead.
Participants = RepeatedCompositeFieldContainer[activity_pb2.Participant]
_RETRACTION_STEP = timedelta(milliseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MailboxIdentity:
    """Whose activity this is."""

    tenant_id: str
    rep_id: str
    mailbox: str
    provider: activity_pb2.Provider.ValueType


def _add_participant(
    into: Participants,
    p: Person,
    role: activity_pb2.ParticipantRole.ValueType,
    internal: DomainSet,
    response: Response | None = None,
) -> None:
    # Built in place (`add`), not built and then copied in by `extend`: this runs per participant.
    into.add(
        address=p.address,
        display_name=p.name,
        role=role,
        response_status=_RESPONSE[response] if response else activity_pb2.RESPONSE_STATUS_UNSPECIFIED,
        is_internal=p.domain in internal,
    )


def _email_participants(item: EmailItem, internal: DomainSet, into: Participants) -> None:
    seen: set[tuple[str, int]] = set()
    sender: tuple[Person, ...] = (item.sender,) if item.sender else ()
    for role, people in ((_FROM, sender), (_TO, item.to), (_CC, item.cc)):
        for p in people:
            if (p.address, role) not in seen:
                seen.add((p.address, role))
                _add_participant(into, p, role, internal)


def _meeting_participants(item: MeetingItem, internal: DomainSet, into: Participants) -> None:
    seen: set[str] = set()
    if item.organizer:
        seen.add(item.organizer.address)
        _add_participant(into, item.organizer, _ORGANIZER, internal, Response.ORGANIZER)
    for attendee in item.attendees:
        if attendee.is_resource or attendee.person.address in seen:
            continue
        seen.add(attendee.person.address)
        _add_participant(into, attendee.person, _ATTENDEE, internal, attendee.response)


def _set(ts: Timestamp, value: datetime) -> None:
    ts.seconds, ts.nanos = _seconds_nanos(value)


def _seconds_nanos(value: datetime) -> tuple[int, int]:
    # Exact integer arithmetic, and much cheaper than Timestamp.FromDatetime's time tuple.
    delta = value - _EPOCH if value.tzinfo else value - _EPOCH.replace(tzinfo=None)
    return delta.days * 86_400 + delta.seconds, delta.microseconds * 1000


_AWAY = activity_pb2.ACTIVITY_KIND_AWAY


def _away_period(item: MeetingItem, into: activity_pb2.Activity) -> None:
    """An out-of-office entry: when the rep is away, and nothing else (no participant, no subject,
    no calendar ids that could link it to anything but itself)."""
    into.kind = _AWAY
    _set(into.end_at, item.end)
    into.is_all_day = item.is_all_day
    into.is_cancelled = item.is_cancelled


@dataclass(frozen=True)
class Normalized:
    activity: activity_pb2.Activity
    content_hash: str  # see `content_hash`


def to_activity(
    item: CapturedItem,
    *,
    who: MailboxIdentity,
    level: CaptureLevel,
    internal: DomainSet,
    observed_at: datetime,
) -> Normalized:
    """The activity for an item that passed the privacy filter, with its content hash."""
    the_id = activity_id(
        tenant_id=who.tenant_id, provider=who.provider, mailbox=who.mailbox, item_id=item.item_id
    )
    activity = activity_pb2.Activity(
        id=the_id, tenant_id=who.tenant_id, rep_id=who.rep_id, provider=who.provider, mailbox=who.mailbox
    )
    activity.provider_ids.item_id = item.item_id
    if isinstance(item, MeetingItem) and item.is_away:
        _away_period(item, activity)
    elif isinstance(item, EmailItem):
        activity.kind = (
            activity_pb2.ACTIVITY_KIND_EMAIL_SENT
            if item.direction is Direction.SENT
            else activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED
        )
        activity.provider_ids.internet_message_id = item.internet_message_id
        activity.provider_ids.conversation_id = item.conversation_id
        _email_participants(item, internal, activity.participants)
    else:
        activity.kind = activity_pb2.ACTIVITY_KIND_MEETING
        activity.provider_ids.ical_uid = item.ical_uid
        activity.provider_ids.series_id = item.series_id
        _set(activity.end_at, item.end)
        activity.is_all_day = item.is_all_day
        activity.is_cancelled = item.is_cancelled
        _meeting_participants(item, internal, activity.participants)
    _set(activity.occurred_at, item.occurred_at)
    if level is CaptureLevel.SUBJECT and item.subject is not None and activity.kind != _AWAY:
        activity.subject = item.subject
    # Hash what the activity says before stamping when it was seen and last touched.
    digest = hashlib.sha256(activity.SerializeToString(deterministic=True)).hexdigest()[:32]
    seconds, nanos = _seconds_nanos(item.modified_at)
    modified = activity.source_modified_at
    modified.seconds = seconds
    modified.nanos = nanos
    _set(activity.observed_at, observed_at)
    # `event_id(activity)` from the values at hand: reading them back from the message costs more.
    activity.event_id = version_id(the_id, seconds, nanos, deleted=False, cancelled=activity.is_cancelled)
    return Normalized(activity, digest)


def retraction(known: KnownItem, *, who: MailboxIdentity, observed_at: datetime) -> activity_pb2.Activity:
    """A deletion marker for an item published earlier that is gone or may no longer be captured.

    It carries identities and times only: nothing about the item that is now being withdrawn.
    """
    kind = _KIND[known.kind]
    if known.direction is Direction.SENT:
        kind = activity_pb2.ACTIVITY_KIND_EMAIL_SENT
    if isinstance(known.snapshot, MeetingItem) and known.snapshot.is_away:
        kind = _AWAY
    activity = activity_pb2.Activity(
        id=activity_id(
            tenant_id=who.tenant_id, provider=who.provider, mailbox=who.mailbox, item_id=known.item_id
        ),
        tenant_id=who.tenant_id,
        rep_id=who.rep_id,
        kind=kind,
        provider=who.provider,
        mailbox=who.mailbox,
        is_deletion=True,
    )
    activity.provider_ids.item_id = known.item_id
    _set(activity.occurred_at, known.occurred_at)
    _set(activity.observed_at, observed_at)
    _set(activity.source_modified_at, max(observed_at, known.modified_at + _RETRACTION_STEP))
    activity.event_id = event_id(activity)
    return activity


def content_hash(activity: activity_pb2.Activity) -> str:
    """A digest of what an activity says, ignoring when it was observed or last touched.

    Two versions with the same hash carry the same information downstream, so the later one need not
    be published (a read flag toggled, a replayed delta page, a resync of unchanged items).
    `to_activity` computes the same digest without the copy this needs.
    """
    stripped = activity_pb2.Activity()
    stripped.CopyFrom(activity)
    for name in ("event_id", "observed_at", "source_modified_at"):
        stripped.ClearField(name)
    return hashlib.sha256(stripped.SerializeToString(deterministic=True)).hexdigest()[:32]
