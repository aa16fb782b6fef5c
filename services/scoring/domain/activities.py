"""Captured activities: validation of what capture publishes, and the row scoring keeps per activity."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import DecodeError

from groundtruth.activity.v1 import activity_pb2
from services.scoring.domain.away import AWAY, AwayPeriod, InvalidAwayPeriod, away_from_proto
from services.scoring.domain.matching import Match
from services.scoring.domain.records import Version
from services.scoring.domain.values import value_class

EMAIL_SENT = activity_pb2.ACTIVITY_KIND_EMAIL_SENT
EMAIL_RECEIVED = activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED
MEETING = activity_pb2.ACTIVITY_KIND_MEETING
_DECLINED = activity_pb2.RESPONSE_STATUS_DECLINED


class InvalidActivity(ValueError):
    """The record can never be stored; the message says why."""


def activity_problems(activity: activity_pb2.Activity) -> list[str]:
    """What makes an activity unusable; empty when it is valid."""
    problems = []
    for name in ("id", "tenant_id", "rep_id"):
        if not getattr(activity, name):
            problems.append(f"{name} is empty")
    if activity.kind == activity_pb2.ACTIVITY_KIND_UNSPECIFIED:
        problems.append("kind is unspecified")
    if activity.provider == activity_pb2.PROVIDER_UNSPECIFIED:
        problems.append("provider is unspecified")
    if not activity.HasField("occurred_at"):
        problems.append("occurred_at is missing")
    return problems


@value_class
class CapturedActivity:
    """One observed version of an activity, as decoded from gt.activity.captured.v1.

    `payload` is the record's bytes as capture published them; they are stored and served as is.
    """

    id: str
    event_id: str
    tenant_id: str
    rep_id: str
    kind: int
    provider: int
    occurred_us: int
    modified_us: int
    observed_us: int
    is_cancelled: bool
    is_deletion: bool
    counts_as_meeting: bool
    external_addresses: tuple[str, ...]
    payload: bytes

    @property
    def version(self) -> Version:
        return (self.modified_us, self.event_id)


def decode_activity(payload: bytes) -> CapturedActivity | AwayPeriod:
    """Parse and validate one serialized Activity; raises `InvalidActivity`. An out-of-office entry
    is not activity: it is an `AwayPeriod` (see `domain/away.py`)."""
    try:
        activity = activity_pb2.Activity.FromString(payload)
    except DecodeError as exc:
        raise InvalidActivity(f"not a protobuf Activity: {exc}") from exc
    # The checks of `activity_problems` as one expression (kind and provider are unspecified at 0):
    # every record passes here, and building the list only pays off for the invalid ones.
    valid = activity.id and activity.tenant_id and activity.rep_id and activity.kind and activity.provider
    if not valid or not activity.HasField("occurred_at"):
        raise InvalidActivity("invalid Activity: " + "; ".join(activity_problems(activity)))
    if activity.kind == AWAY:
        try:
            return away_from_proto(activity)
        except InvalidAwayPeriod as exc:
            raise InvalidActivity(str(exc)) from exc
    return captured_from_proto(activity, payload)


def captured_from_proto(activity: activity_pb2.Activity, payload: bytes) -> CapturedActivity:
    # Hot path (every captured record): unset timestamps read as zero, so no HasField calls.
    mailbox = activity.mailbox.lower()
    external: list[str] = []
    declined = False
    for participant in activity.participants:
        address = participant.address.lower()
        if address == mailbox:
            declined = participant.response_status == _DECLINED
        elif not participant.is_internal and address and address not in external:
            external.append(address)
    kind = activity.kind
    occurred, modified, observed = activity.occurred_at, activity.source_modified_at, activity.observed_at
    return CapturedActivity(
        activity.id,
        activity.event_id or activity.id,
        activity.tenant_id,
        activity.rep_id,
        kind,
        activity.provider,
        occurred.seconds * 1_000_000 + occurred.nanos // 1000,
        modified.seconds * 1_000_000 + modified.nanos // 1000,
        observed.seconds * 1_000_000 + observed.nanos // 1000,
        activity.is_cancelled,
        activity.is_deletion,
        kind == MEETING and not activity.is_all_day and not declined,
        tuple(external),
        payload,
    )


@value_class
class ActivityRow:
    """What scoring keeps per activity: its latest version, its match and its feed position.

    `payload` is None when the row was loaded only to compare states. `addresses` are the external
    participants' addresses: the store indexes them (and their domains) so that a CRM record that
    changes what they match re-matches the activity. `feed_sequence` is 0 while the activity has
    never been in the write-back feed.
    """

    id: str
    tenant_id: str
    rep_id: str
    kind: int
    provider: int
    occurred_us: int
    version: Version
    is_cancelled: bool
    is_deletion: bool
    counts_as_meeting: bool
    is_external: bool
    match: Match
    addresses: tuple[str, ...]
    feed_sequence: int
    payload: bytes | None

    @property
    def is_live(self) -> bool:
        return not self.is_cancelled and not self.is_deletion

    def with_feed_sequence(self, position: int) -> ActivityRow:
        """A copy at another feed position (positional: `dataclasses.replace` is slow on hot paths)."""
        return ActivityRow(
            self.id, self.tenant_id, self.rep_id, self.kind, self.provider, self.occurred_us, self.version,
            self.is_cancelled, self.is_deletion, self.counts_as_meeting, self.is_external, self.match,
            self.addresses, position, self.payload,
        )  # fmt: skip

    def with_match(self, match: Match, position: int) -> ActivityRow:
        """A copy with another match and feed position (positional, like `with_feed_sequence`)."""
        return ActivityRow(
            self.id, self.tenant_id, self.rep_id, self.kind, self.provider, self.occurred_us, self.version,
            self.is_cancelled, self.is_deletion, self.counts_as_meeting, self.is_external, match,
            self.addresses, position, self.payload,
        )  # fmt: skip

    @property
    def counts_as_external_activity(self) -> bool:
        """Captured external activity, the denominator of coverage and logging rate."""
        if not self.is_live or not self.is_external:
            return False
        return self.kind != MEETING or self.counts_as_meeting


def latest_versions(rows: Iterable[CapturedActivity]) -> list[CapturedActivity]:
    """One entry per activity id: the newest version (ties broken by event id, so order never matters)."""
    latest: dict[str, CapturedActivity] = {}
    for row in rows:
        current = latest.get(row.id)
        if current is None or row.version > current.version:
            latest[row.id] = row
    return list(latest.values())
