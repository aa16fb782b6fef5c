"""The store writes snapshots with orjson passing UTC datetimes through: the bytes must be the ones the
plain codec (`isoformat()` text) gives, whatever the dates' offsets and precision."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from services.capture.adapters.postgres.sync_store import _snapshot_json
from services.capture.domain.items import CapturedItem, ItemKind, KnownItem, item_from_json, item_to_json
from tests.unit.capture.builders import T0, email, meeting

DATES = [
    T0,
    T0.replace(microsecond=123_456),
    T0.replace(microsecond=1),
    datetime.fromisoformat("2026-11-02T09:00:00+00:00"),
    T0.astimezone(timezone(timedelta(hours=5, minutes=30))),
    T0.astimezone(timezone(timedelta(hours=-3, seconds=7))),  # orjson would drop these seconds
]


def _known(item: CapturedItem) -> KnownItem:
    return KnownItem(item.item_id, "s", item.kind, item.occurred_at, item.modified_at, "h", snapshot=item)


@pytest.mark.parametrize("when", DATES, ids=str)
def test_stored_snapshot_bytes_are_the_plain_codecs(when: datetime) -> None:
    items: list[CapturedItem] = [
        dataclasses.replace(email(), occurred_at=when, modified_at=when + timedelta(seconds=1)),
        dataclasses.replace(meeting(), start=when, end=when + timedelta(hours=1), modified_at=when),
    ]
    for item in items:
        stored = _snapshot_json(_known(item))
        assert stored == orjson.dumps(item_to_json(item))
        assert item_from_json(orjson.loads(stored)) == item


def test_no_snapshot_is_stored_as_null() -> None:
    item = email()
    known = KnownItem(
        item.item_id, "s", ItemKind.EMAIL, item.occurred_at, item.modified_at, "h", snapshot=None
    )
    assert _snapshot_json(known) == b"null"
