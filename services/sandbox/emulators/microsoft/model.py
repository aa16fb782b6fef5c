"""The emulated Microsoft 365 organisations: users, their mail folders and calendars, with a change log.

Every change to an item bumps its mailbox's sequence number and records which Graph properties it
touched and which folder the item was in afterwards. Delta queries are answered from that log, so
they behave like Graph's: full items for new ones, only the changed properties for updates, and
`@removed` for items that left the folder (or the calendar window).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JsonObject = dict[str, Any]
# Graph's well-known mail folders that the emulator models.
MAIL_FOLDERS = ("inbox", "sentitems", "drafts", "archive", "deleteditems")
CALENDAR = "calendar"
ALL_FIELDS = frozenset({"*"})


def graph_time(value: datetime) -> str:
    """Graph's mail timestamps: ISO-8601 UTC with a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def graph_datetime_tz(value: datetime) -> JsonObject:
    """Graph's event times: no offset, seven fractional digits, and a separate time zone."""
    return {"dateTime": value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def parse_event_time(value: JsonObject) -> datetime:
    return datetime.fromisoformat(str(value["dateTime"])).replace(tzinfo=UTC)


@dataclass
class HistoryEntry:
    seq: int
    fields: frozenset[str]  # Graph property names changed; ALL_FIELDS for a creation
    folder: str | None  # where the item is after this change; None once deleted


@dataclass
class Item:
    """A message or an event. `data` is the full Graph representation without `id`."""

    id: str  # the immutable id (Prefer: IdType="ImmutableId")
    kind: str  # "message" | "event"
    data: JsonObject
    history: list[HistoryEntry] = field(default_factory=list)
    moves: int = 0  # a regular (mutable) id changes with every move, as in Graph
    # Hostile representation (a corrupt store, a provider we were not written against): these
    # properties replace (or, in `hostile_drop`, remove) the rendered ones, `id` included.
    hostile: JsonObject = field(default_factory=dict)
    hostile_drop: frozenset[str] = frozenset()

    @property
    def folder(self) -> str | None:
        return self.history[-1].folder

    @property
    def seq(self) -> int:
        return self.history[-1].seq

    @property
    def created_seq(self) -> int:
        return self.history[0].seq

    def folder_at(self, seq: int) -> str | None:
        """The folder the item was in right after change number `seq` (None: not there yet, or deleted)."""
        where: str | None = None
        for entry in self.history:
            if entry.seq > seq:
                break
            where = entry.folder
        return where

    def fields_changed_after(self, seq: int) -> frozenset[str]:
        changed: set[str] = set()
        for entry in self.history:
            if entry.seq > seq:
                changed |= entry.fields
        return frozenset(changed)

    def rest_id(self, immutable: bool) -> str:
        return self.id if immutable or self.moves == 0 else f"{self.id}-m{self.moves}"


@dataclass
class Mailbox:
    user_id: str
    upn: str
    display_name: str
    items: dict[str, Item] = field(default_factory=dict)
    seq: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def new_item_id(self, kind: str) -> str:
        prefix = "AAMkMsg" if kind == "message" else "AAMkEvt"
        return f"{prefix}{uuid.uuid5(uuid.NAMESPACE_URL, self.user_id).hex[:12]}{next(self._ids):07d}"


@dataclass
class App:
    """An app registration allowed to use client credentials in a directory tenant."""

    client_id: str
    secret: str | None = None
    certificate_pem: str | None = None  # public certificate for client assertions
    revoked: bool = False


@dataclass
class Organisation:
    tenant_id: str  # the Entra directory (tenant) id
    domain: str
    apps: dict[str, App] = field(default_factory=dict)
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)  # by lower-case UPN

    def mailbox(self, user: str) -> Mailbox | None:
        """Look a user up by id or by UPN, case-insensitively, as Graph does."""
        key = user.lower()
        found = self.mailboxes.get(key)
        if found is not None:
            return found
        return next((m for m in self.mailboxes.values() if m.user_id.lower() == key), None)
