"""The live continuation: a deterministic sequence of what each rep does, timed by the clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from services.sandbox.demo.live import LiveStory, Tick
from services.sandbox.demo.story import DemoStory, ItemKind, story_for
from services.sandbox.synthetic.organisation import STAGES, Archetype

TODAY = date(2026, 3, 18)
NOW = datetime(2026, 3, 18, 14, 7, 31, tzinfo=UTC)


@pytest.fixture(scope="module")
def story() -> DemoStory:
    return story_for(7, TODAY)  # the story `make run` tells (cached: built once per process)


def run(story: DemoStory, count: int, now: datetime = NOW) -> list[Tick]:
    live = LiveStory(story)
    return [live.tick(n, now + timedelta(seconds=5 * n)) for n in range(count)]


def test_the_sequence_is_the_same_every_time(story: DemoStory) -> None:
    first, second = run(story, 60), run(story, 60)
    assert [(t.rep.rep_id, t.items) for t in first] == [(t.rep.rep_id, t.items) for t in second]
    assert [[e.SerializeToString(deterministic=True) for e in t.crm_events] for t in first] == [
        [e.SerializeToString(deterministic=True) for e in t.crm_events] for t in second
    ]


def test_times_follow_the_clock(story: DemoStory) -> None:
    later = NOW + timedelta(days=1)
    moved = run(story, 24, later)
    for tick in moved:
        for item in tick.items:
            assert later - timedelta(hours=1) <= item.at <= later + timedelta(minutes=5)


def test_every_rep_gets_a_turn_each_round(story: DemoStory) -> None:
    ticks = run(story, 48)
    assert Counter(t.rep.rep_id for t in ticks) == Counter({r.rep_id: 2 for r in story.reps})
    assert [t.rep.rep_id for t in ticks[:24]] != [t.rep.rep_id for t in ticks[24:]]  # reshuffled


def test_each_archetype_behaves_as_in_the_history(story: DemoStory) -> None:
    ticks = run(story, 24 * 8)
    for tick in ticks:
        kinds = [e.WhichOneof("payload") for e in tick.crm_events]
        archetype = tick.rep.archetype
        if archetype is Archetype.GHOST:
            assert not kinds and tick.items
        elif archetype is Archetype.SKEPTIC:
            assert kinds == ["user_login"]
        elif archetype is Archetype.SILENT_MAILBOX:
            assert not tick.items and "user_login" in kinds
        elif archetype is Archetype.ADOPTER:
            meetings = [i for i in tick.items if i.kind is ItemKind.MEETING]
            assert kinds.count("activity_logged") == len(meetings)
        assert all(not e.tenant_id and not e.event_id for e in tick.crm_events)
    updates = [
        e.record_upserted for t in ticks for e in t.crm_events if e.WhichOneof("payload") == "record_upserted"
    ]
    assert updates and all(u.stage in STAGES[:3] and not u.is_closed for u in updates)


def test_ticks_are_taken_in_order(story: DemoStory) -> None:
    live = LiveStory(story)
    live.tick(0, NOW)
    with pytest.raises(ValueError, match="in order"):
        live.tick(2, NOW)
