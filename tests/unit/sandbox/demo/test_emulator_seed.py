"""The demo's history lands in the emulators' models as the providers would hold it, and the Google
service-account key survives a restart of the emulators."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from services.sandbox.demo.adapters.emulators import google_world, reuse_service_account_key, seed_microsoft
from services.sandbox.demo.organisation import Provider
from services.sandbox.demo.story import DemoStory, ItemKind, story_for
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from services.sandbox.emulators.tls import issue_tls

TODAY = date(2026, 3, 18)


@pytest.fixture(scope="module")
def story() -> DemoStory:
    return story_for(7, TODAY)


def expected(story: DemoStory, rep_id: str) -> Counter[ItemKind]:
    return Counter(i.kind for i in story.items_of(rep_id))


def test_every_microsoft_item_is_in_its_mailbox_folder(story: DemoStory, tmp_path: Path) -> None:
    emulator = MicrosoftEmulator(tls=issue_tls(tmp_path))
    seed_microsoft(emulator, story)
    for rep in story.organisation.reps_on(Provider.MICROSOFT):
        truth = emulator.ground_truth(rep.rep_id)
        away = [e for e in truth["calendar"] if e["showAs"] == "oof"]
        held = Counter(
            {ItemKind.SENT: len(truth["sentitems"]), ItemKind.RECEIVED: len(truth["inbox"]),
             ItemKind.MEETING: len(truth["calendar"]) - len(away)}
        )  # fmt: skip
        assert +held == expected(story, rep.rep_id), rep
        # The rep on holiday has their out-of-office entry, and nobody else has one.
        assert len(away) == (1 if rep.rep_id == story.holiday.rep_id else 0), rep


def test_every_google_item_is_in_its_mailbox_and_calendar(story: DemoStory) -> None:
    world = google_world(story)
    for rep in story.organisation.reps_on(Provider.GOOGLE):
        labels = Counter(
            "SENT" if "SENT" in m["labelIds"] else "INBOX" for m in world.mailbox_truth(rep.rep_id)
        )
        held = Counter(
            {ItemKind.SENT: labels["SENT"], ItemKind.RECEIVED: labels["INBOX"],
             ItemKind.MEETING: len(world.calendar_truth(rep.rep_id))}
        )  # fmt: skip
        assert +held == expected(story, rep.rep_id), rep


def test_a_restarted_google_emulator_keeps_the_service_account_key(story: DemoStory, tmp_path: Path) -> None:
    key_file = tmp_path / "google-key.json"
    first = google_world(story)
    key_file.write_text(json.dumps(first.key_file("http://x/token")))
    second = google_world(story)
    assert second.key_file("http://x/token") != first.key_file("http://x/token")  # a new key by default
    reuse_service_account_key(second, key_file)
    assert second.key_file("http://x/token") == first.key_file("http://x/token")
