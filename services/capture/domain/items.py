"""The provider-neutral item model: an e-mail or a meeting as the provider gave it, already parsed.

Every provider connector turns its wire format into these values; everything downstream of the
connector (privacy, normalization, change tracking) sees only them. Items carry no bodies: the
connectors never parse one.

Items are also what capture remembers of a published item (its "last full view"), so that a partial
update from a provider can be merged into a complete item; `item_to_json` / `item_from_json` are that
snapshot's codec.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias


class ItemKind(enum.Enum):
    EMAIL = "email"
    MEETING = "meeting"


class Direction(enum.Enum):
    SENT = "sent"
    RECEIVED = "received"


class Response(enum.Enum):
    """An attendee's answer, the union of what Microsoft and Google report."""

    NONE = "none"
    ORGANIZER = "organizer"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    NOT_RESPONDED = "not_responded"


class Sensitivity(enum.Enum):
    NORMAL = "normal"
    PERSONAL = "personal"
    PRIVATE = "private"
    CONFIDENTIAL = "confidential"


@dataclass(frozen=True)
class Person:
    """An address (always lower-cased by `person()`) and the display name the provider gave."""

    address: str
    name: str = ""

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def person(address: str, name: str = "") -> Person:
    return Person(address.strip().lower(), name.strip())


@dataclass(frozen=True)
class Attendee:
    person: Person
    response: Response = Response.NONE
    # Rooms and equipment: never a participant, never decides whether a meeting is internal.
    is_resource: bool = False


@dataclass(frozen=True)
class EmailItem:
    item_id: str
    direction: Direction
    occurred_at: datetime  # sent time for sent mail, received time for received mail
    modified_at: datetime
    sender: Person | None
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    subject: str | None = None
    internet_message_id: str = ""
    conversation_id: str = ""
    is_draft: bool = False

    kind = ItemKind.EMAIL

    def people(self) -> tuple[Person, ...]:
        return ((self.sender,) if self.sender else ()) + self.to + self.cc


@dataclass(frozen=True)
class MeetingItem:
    item_id: str
    start: datetime
    end: datetime
    modified_at: datetime
    organizer: Person | None
    attendees: tuple[Attendee, ...] = ()
    subject: str | None = None
    ical_uid: str = ""
    series_id: str = ""
    is_all_day: bool = False
    is_cancelled: bool = False
    sensitivity: Sensitivity = Sensitivity.NORMAL
    # An out-of-office entry (Graph `showAs: oof`, Google `eventType: outOfOffice`): published as the
    # away period alone, so scoring does not judge the rep on those days.
    is_away: bool = False

    kind = ItemKind.MEETING

    @property
    def occurred_at(self) -> datetime:
        return self.start

    def people(self) -> tuple[Person, ...]:
        humans = tuple(a.person for a in self.attendees if not a.is_resource)
        return ((self.organizer,) if self.organizer else ()) + humans


CapturedItem: TypeAlias = EmailItem | MeetingItem


@dataclass(frozen=True)
class ItemSeen:
    """The provider holds this item in this state now (new, updated or re-sent)."""

    item: CapturedItem


@dataclass(frozen=True)
class ItemGone:
    """The provider confirmed the item no longer exists (not merely out of a sync window)."""

    kind: ItemKind
    item_id: str


Change: TypeAlias = ItemSeen | ItemGone


@dataclass(frozen=True)
class KnownItem:
    """What capture remembers of an item it published: enough to merge, compare and retract."""

    item_id: str
    stream: str
    kind: ItemKind
    occurred_at: datetime
    modified_at: datetime
    content_hash: str
    direction: Direction | None = None  # e-mail only
    snapshot: CapturedItem | None = field(default=None, compare=False)


def without_subject(item: CapturedItem) -> CapturedItem:
    """`item` with no subject: equal to `dataclasses.replace(item, subject=None)`, at a seventh of the
    cost (replace runs the generated `__init__` over every field, and this runs for every item of a
    backfill at the metadata level). Valid because the item classes have no `__slots__` and no
    `__post_init__`: the fields are the instance dict, and copying it is all `__init__` would do."""
    clone = object.__new__(type(item))
    fields = clone.__dict__
    fields.update(item.__dict__)
    fields["subject"] = None
    return clone


# --- snapshot codec -------------------------------------------------------------------------------


def _person_json(p: Person | None) -> list[str] | None:
    return None if p is None else [p.address, p.name]


def _person_from(raw: object) -> Person | None:
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    return Person(str(raw[0]), str(raw[1]))


def _people_from(raw: object) -> tuple[Person, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(p for p in (_person_from(r) for r in raw) if p is not None)


def item_to_json(
    item: CapturedItem, *, when: Callable[[datetime], object] = datetime.isoformat
) -> dict[str, object]:
    """A compact JSON-able dict; `item_from_json` inverts it exactly. Its dates are ISO 8601 text:
    `when` writes them (an encoder that writes a datetime as that same text may pass it through)."""
    if isinstance(item, EmailItem):
        return {
            "k": "email",
            "id": item.item_id,
            "dir": item.direction.value,
            "at": when(item.occurred_at),
            "mod": when(item.modified_at),
            "from": _person_json(item.sender),
            "to": [_person_json(p) for p in item.to],
            "cc": [_person_json(p) for p in item.cc],
            "subj": item.subject,
            "imid": item.internet_message_id,
            "conv": item.conversation_id,
            "draft": item.is_draft,
        }
    return {
        "k": "meeting",
        "id": item.item_id,
        "start": when(item.start),
        "end": when(item.end),
        "mod": when(item.modified_at),
        "org": _person_json(item.organizer),
        "att": [[a.person.address, a.person.name, a.response.value, a.is_resource] for a in item.attendees],
        "subj": item.subject,
        "ical": item.ical_uid,
        "series": item.series_id,
        "allday": item.is_all_day,
        "cancelled": item.is_cancelled,
        "sens": item.sensitivity.value,
        "away": item.is_away,
    }


def item_from_json(raw: Mapping[str, object]) -> CapturedItem:
    """Raises `ValueError` / `KeyError` on a snapshot that was not written by `item_to_json`."""
    subject = raw.get("subj")
    if raw["k"] == "email":
        return EmailItem(
            item_id=str(raw["id"]),
            direction=Direction(raw["dir"]),
            occurred_at=datetime.fromisoformat(str(raw["at"])),
            modified_at=datetime.fromisoformat(str(raw["mod"])),
            sender=_person_from(raw.get("from")),
            to=_people_from(raw.get("to")),
            cc=_people_from(raw.get("cc")),
            subject=None if subject is None else str(subject),
            internet_message_id=str(raw.get("imid", "")),
            conversation_id=str(raw.get("conv", "")),
            is_draft=bool(raw.get("draft", False)),
        )
    attendees_raw = raw.get("att")
    attendees = tuple(
        Attendee(Person(str(a[0]), str(a[1])), Response(a[2]), bool(a[3]))
        for a in (attendees_raw if isinstance(attendees_raw, list) else [])
    )
    return MeetingItem(
        item_id=str(raw["id"]),
        start=datetime.fromisoformat(str(raw["start"])),
        end=datetime.fromisoformat(str(raw["end"])),
        modified_at=datetime.fromisoformat(str(raw["mod"])),
        organizer=_person_from(raw.get("org")),
        attendees=attendees,
        subject=None if subject is None else str(subject),
        ical_uid=str(raw.get("ical", "")),
        series_id=str(raw.get("series", "")),
        is_all_day=bool(raw.get("allday", False)),
        is_cancelled=bool(raw.get("cancelled", False)),
        sensitivity=Sensitivity(raw.get("sens", "normal")),
        is_away=bool(raw.get("away", False)),
    )
