"""Putting the demo's mail and meetings into the provider emulators.

`seed_microsoft` and `seed_google` fill emulators that have not started yet with the whole history
(straight into their models, without change notifications: nobody is subscribed yet). Live items go
through a `MailboxSink`: `InProcessEmulators` (tests, with the emulators in the same process) or
`EmulatorControlApi` (`make run`, over the emulator process's control API); both make the emulator
notify capture as a real provider would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.sandbox.demo.organisation import (
    DOMAINS,
    MICROSOFT_CLIENT_ID,
    MICROSOFT_CLIENT_SECRET,
    MICROSOFT_DIRECTORY_ID,
    Provider,
)
from services.sandbox.demo.story import DemoStory, ItemKind, MailboxItem, story_for
from services.sandbox.emulators.google.world import GoogleWorld
from services.sandbox.emulators.microsoft import items as graph_items
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from services.sandbox.emulators.registry import EmulatorOptions, register_seed


def seed_microsoft(emulator: MicrosoftEmulator, story: DemoStory) -> None:
    """The demo's Entra directory, capture's app registration and the Microsoft 365 reps' mailboxes."""
    emulator.add_organisation(tenant_id=MICROSOFT_DIRECTORY_ID, domain=DOMAINS[Provider.MICROSOFT])
    emulator.add_app(MICROSOFT_DIRECTORY_ID, MICROSOFT_CLIENT_ID, secret=MICROSOFT_CLIENT_SECRET)
    for team in story.organisation.teams:
        if team.provider is Provider.MICROSOFT:
            emulator.add_mailbox(MICROSOFT_DIRECTORY_ID, team.manager_rep_id)
            for rep in team.members:
                emulator.add_mailbox(MICROSOFT_DIRECTORY_ID, rep.rep_id)
    holiday = story.holiday
    if holiday.provider is Provider.MICROSOFT:
        graph_items.new_event(
            emulator.mailbox(holiday.rep_id), organizer=holiday.rep_id, attendees=[], start=holiday.starts,
            end=holiday.ends, subject="Holiday", is_all_day=True, show_as="oof",
            created_at=holiday.starts - timedelta(days=14),
        )  # fmt: skip
    for item in story.mailbox_items:
        if item.provider is not Provider.MICROSOFT:
            continue
        mailbox = emulator.mailbox(item.rep_id)
        if item.kind is ItemKind.MEETING:
            graph_items.new_event(
                mailbox, organizer=item.rep_id, attendees=[item.counterpart], start=item.at,
                end=item.at + timedelta(minutes=item.minutes), subject=item.subject,
                created_at=item.at - timedelta(days=3),
            )  # fmt: skip
        else:
            graph_items.new_message(
                mailbox, folder="sentitems" if item.kind is ItemKind.SENT else "inbox", sender=item.sender,
                to=[item.recipient], subject=item.subject, sent_at=item.at,
            )  # fmt: skip


def google_world(story: DemoStory, *, seed: int | None = None) -> GoogleWorld:
    """A Google Workspace for the demo's Google teams (staff, managers) holding their history."""
    world = GoogleWorld(DOMAINS[Provider.GOOGLE], seed=story.spec.seed if seed is None else seed)
    for team in story.organisation.teams:
        if team.provider is Provider.GOOGLE:
            world.add_user(team.manager_rep_id, team.manager_name)
            for rep in team.members:
                world.add_user(rep.rep_id, rep.name)
    holiday = story.holiday
    if holiday.provider is Provider.GOOGLE:
        world.create_event(
            organizer=holiday.rep_id, summary="Holiday", start=holiday.starts, end=holiday.ends,
            event_type="outOfOffice",
        )  # fmt: skip
    for item in story.mailbox_items:
        if item.provider is Provider.GOOGLE:
            write_google(world, item)
    return world


def reuse_service_account_key(world: GoogleWorld, key_file: Path) -> None:
    """Keep the previous run's service-account key (if `key_file` holds one), so the connection
    capture stored in PostgreSQL keeps working after `make run` restarts instead of failing with
    invalid_grant until the demo registers the new key."""
    if not key_file.exists():
        return
    previous = json.loads(key_file.read_text())
    if previous.get("client_email") != world.service_account.client_email:
        return
    key = serialization.load_pem_private_key(previous["private_key"].encode(), password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        world.service_account.keys = {str(previous["private_key_id"]): key}


def write_google(world: GoogleWorld, item: MailboxItem) -> None:
    if item.kind is ItemKind.MEETING:
        world.create_event(
            organizer=item.rep_id, summary=item.subject, start=item.at,
            end=item.at + timedelta(minutes=item.minutes),
            attendees=[(item.rep_id, "accepted"), (item.counterpart, "accepted")],
        )  # fmt: skip
    else:
        world.send_mail(sender=item.sender, to=[item.recipient], subject=item.subject, sent_at=item.at)


def write_microsoft(emulator: MicrosoftEmulator, item: MailboxItem) -> None:
    if item.kind is ItemKind.MEETING:
        emulator.add_event(item.rep_id, organizer=item.rep_id, attendees=[item.counterpart], start=item.at,
                           minutes=item.minutes, subject=item.subject)  # fmt: skip
    else:
        emulator.add_message(
            item.rep_id, folder="sentitems" if item.kind is ItemKind.SENT else "inbox", sender=item.sender,
            to=[item.recipient], subject=item.subject, sent_at=item.at,
        )  # fmt: skip


class MailboxSink(Protocol):
    """Where live mail and meetings go. `deliver` returns once the provider holds every item (and has
    notified its subscribers); it raises when the emulator refuses or cannot be reached."""

    async def deliver(self, items: Sequence[MailboxItem]) -> None: ...


class InProcessEmulators:
    """Emulators running in this process (the integration tests)."""

    def __init__(self, microsoft: MicrosoftEmulator, google: GoogleWorld) -> None:
        self._microsoft = microsoft
        self._google = google

    async def deliver(self, items: Sequence[MailboxItem]) -> None:
        for item in items:
            if item.provider is Provider.MICROSOFT:
                write_microsoft(self._microsoft, item)
            else:
                write_google(self._google, item)


class EmulatorControlApi:
    """The emulator process's control API (`make run`)."""

    def __init__(self, http: httpx.AsyncClient, control_url: str) -> None:
        self._http = http
        self._url = control_url.rstrip("/")

    async def deliver(self, items: Sequence[MailboxItem]) -> None:
        for item in items:
            path, body = _control_request(item)
            response = await self._http.post(f"{self._url}{path}", json=body)
            response.raise_for_status()

    async def google_key(self) -> dict[str, Any]:
        """The Google emulator's service-account key file (a new key every emulator start)."""
        response = await self._http.get(f"{self._url}/google/_emulator/key")
        response.raise_for_status()
        key: dict[str, Any] = response.json()
        return key


def _control_request(item: MailboxItem) -> tuple[str, dict[str, Any]]:
    end = item.at + timedelta(minutes=item.minutes)
    if item.provider is Provider.MICROSOFT:
        if item.kind is ItemKind.MEETING:
            return f"/microsoft/mailboxes/{item.rep_id}/events", {
                "organizer": item.rep_id, "attendees": [item.counterpart], "start": item.at.isoformat(),
                "minutes": item.minutes, "subject": item.subject,
            }  # fmt: skip
        folder = "sentitems" if item.kind is ItemKind.SENT else "inbox"
        return f"/microsoft/mailboxes/{item.rep_id}/messages", {
            "folder": folder, "sender": item.sender, "to": [item.recipient], "subject": item.subject,
        }  # fmt: skip
    if item.kind is ItemKind.MEETING:
        return "/google/_emulator/events", {
            "organizer": item.rep_id, "summary": item.subject, "start": item.at.isoformat(),
            "end": end.isoformat(),
            "attendees": [{"email": item.rep_id, "responseStatus": "accepted"},
                          {"email": item.counterpart, "responseStatus": "accepted"}],
        }  # fmt: skip
    return "/google/_emulator/mail", {
        "sender": item.sender, "to": [item.recipient], "subject": item.subject, "sentAt": item.at.isoformat(),
    }  # fmt: skip


def _seed_microsoft_demo(emulator: MicrosoftEmulator, options: EmulatorOptions) -> None:
    seed_microsoft(emulator, story_for(options.seed, options.today))


def _seed_google_demo(options: EmulatorOptions, key_file: Path) -> GoogleWorld:
    world = google_world(story_for(options.seed, options.today))
    reuse_service_account_key(world, key_file)
    return world


# The emulators' runner imports this module for `--profile demo` (registry.PROFILE_MODULES).
register_seed("microsoft", "demo", _seed_microsoft_demo)
register_seed("google", "demo", _seed_google_demo)
