from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.identity import activity_id
from services.capture.domain.items import (
    Attendee,
    Direction,
    ItemKind,
    KnownItem,
    Response,
    item_from_json,
    item_to_json,
    person,
)
from services.capture.domain.normalize import content_hash, retraction, to_activity
from services.capture.domain.privacy import CaptureLevel, DomainSet
from tests.unit.capture.builders import OWNER, T0, WHO, email, meeting

INTERNAL = DomainSet.of(["acme.example"])
P = activity_pb2


def test_received_mail_becomes_an_activity_with_roles_and_internal_flags() -> None:
    item = email(
        sender="Buyer@Customer.example", to=(OWNER, "ops@acme.example"), cc=("cfo@customer.example",)
    )
    activity = to_activity(
        item, who=WHO, level=CaptureLevel.METADATA, internal=INTERNAL, observed_at=T0
    ).activity
    assert activity.kind == P.ACTIVITY_KIND_EMAIL_RECEIVED
    assert activity.id == activity_id(
        tenant_id="acme", provider=P.PROVIDER_MICROSOFT, mailbox=OWNER, item_id=item.item_id
    )
    assert [(p.address, p.role, p.is_internal) for p in activity.participants] == [
        ("buyer@customer.example", P.PARTICIPANT_ROLE_FROM, False),
        (OWNER, P.PARTICIPANT_ROLE_TO, True),
        ("ops@acme.example", P.PARTICIPANT_ROLE_TO, True),
        ("cfo@customer.example", P.PARTICIPANT_ROLE_CC, False),
    ]
    assert activity.provider_ids.internet_message_id == "<m1@customer.example>"
    assert activity.provider_ids.conversation_id == "conv-1"
    assert not activity.HasField("subject")
    assert not activity.HasField("end_at")
    assert activity.event_id


@pytest.mark.parametrize(
    ("level", "subject"),
    [
        pytest.param(CaptureLevel.METADATA, None, id="metadata level never carries subjects"),
        pytest.param(CaptureLevel.SUBJECT, "Pricing", id="subject level carries them"),
    ],
)
def test_subject_only_at_subject_level(level: CaptureLevel, subject: str | None) -> None:
    activity = to_activity(email(), who=WHO, level=level, internal=INTERNAL, observed_at=T0).activity
    assert (activity.subject if activity.HasField("subject") else None) == subject


def test_sent_mail_kind() -> None:
    item = email(direction=Direction.SENT, sender=OWNER, to=("buyer@customer.example",))
    activity = to_activity(
        item, who=WHO, level=CaptureLevel.METADATA, internal=INTERNAL, observed_at=T0
    ).activity
    assert activity.kind == P.ACTIVITY_KIND_EMAIL_SENT


def test_meeting_participants_responses_and_resources() -> None:
    item = dataclasses.replace(
        meeting(),
        attendees=(
            Attendee(person("buyer@customer.example", "Buyer"), Response.TENTATIVE),
            Attendee(person(OWNER), Response.ORGANIZER),  # organizer listed again: kept once
            Attendee(person("room-1@acme.example"), Response.ACCEPTED, is_resource=True),
        ),
        is_cancelled=True,
    )
    activity = to_activity(
        item, who=WHO, level=CaptureLevel.METADATA, internal=INTERNAL, observed_at=T0
    ).activity
    assert activity.kind == P.ACTIVITY_KIND_MEETING
    assert activity.is_cancelled
    assert activity.end_at.ToDatetime().replace(tzinfo=T0.tzinfo) == T0 + timedelta(hours=1)
    assert [(p.address, p.role, p.response_status) for p in activity.participants] == [
        (OWNER, P.PARTICIPANT_ROLE_ORGANIZER, P.RESPONSE_STATUS_ORGANIZER),
        ("buyer@customer.example", P.PARTICIPANT_ROLE_ATTENDEE, P.RESPONSE_STATUS_TENTATIVE),
    ]
    assert activity.provider_ids.ical_uid == "uid-e1"


def test_content_hash_ignores_observation_time_but_not_content() -> None:
    first = to_activity(
        email(), who=WHO, level=CaptureLevel.METADATA, internal=INTERNAL, observed_at=T0
    ).activity
    later = to_activity(
        email(modified=timedelta(hours=1)),
        who=WHO,
        level=CaptureLevel.METADATA,
        internal=INTERNAL,
        observed_at=T0 + timedelta(hours=2),
    ).activity
    changed = to_activity(
        email(cc=("new@customer.example",)),
        who=WHO,
        level=CaptureLevel.METADATA,
        internal=INTERNAL,
        observed_at=T0,
    )
    assert content_hash(first) == content_hash(later)
    assert content_hash(first) != content_hash(changed.activity)
    assert changed.content_hash == content_hash(changed.activity), "the fast digest is the same digest"
    assert first.event_id != later.event_id


def test_timestamps_are_exact_to_the_microsecond() -> None:
    at = T0.replace(microsecond=123456) + timedelta(days=20000)
    item = dataclasses.replace(email(), occurred_at=at)
    activity = to_activity(
        item, who=WHO, level=CaptureLevel.METADATA, internal=INTERNAL, observed_at=at
    ).activity
    assert activity.occurred_at.ToDatetime(T0.tzinfo) == at
    assert activity.occurred_at.nanos == 123456000


def test_retraction_carries_identities_only_and_sorts_after_the_version_it_retracts() -> None:
    known = KnownItem(
        item_id="m1",
        stream="mail:inbox",
        kind=ItemKind.EMAIL,
        occurred_at=T0,
        modified_at=T0 + timedelta(hours=5),  # provider clock ahead of ours
        content_hash="x",
        direction=Direction.SENT,
    )
    marker = retraction(known, who=WHO, observed_at=T0 + timedelta(hours=1))
    assert marker.is_deletion
    assert marker.kind == P.ACTIVITY_KIND_EMAIL_SENT
    assert not marker.participants
    assert not marker.HasField("subject")
    assert marker.source_modified_at.ToDatetime() > known.modified_at.replace(tzinfo=None)


@pytest.mark.parametrize(
    "item", [email(cc=("a@b.example",)), meeting(is_cancelled=True)], ids=["email", "meeting"]
)
def test_snapshot_codec_round_trips(item: object) -> None:
    assert item_from_json(item_to_json(item)) == item  # type: ignore[arg-type]
