from __future__ import annotations

from datetime import timedelta

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.identity import activity_id, event_id
from tests.factories import make_activity


def test_activity_id_is_deterministic_and_case_insensitive_in_the_mailbox() -> None:
    first = activity_id(
        tenant_id="acme", provider=activity_pb2.PROVIDER_GOOGLE, mailbox="Ann@Acme.example", item_id="m1"
    )
    again = activity_id(
        tenant_id="acme", provider=activity_pb2.PROVIDER_GOOGLE, mailbox="ann@acme.example", item_id="m1"
    )
    assert first == again
    assert len(first) == 32


def test_activity_id_separates_tenants_providers_mailboxes_and_items() -> None:
    base = {"tenant_id": "acme", "provider": activity_pb2.PROVIDER_GOOGLE, "mailbox": "a@x", "item_id": "m1"}
    variants = [
        {**base, "tenant_id": "globex"},
        {**base, "provider": activity_pb2.PROVIDER_MICROSOFT},
        {**base, "mailbox": "b@x"},
        {**base, "item_id": "m2"},
        # Concatenation must not collide: ("a", "bc") differs from ("ab", "c").
        {**base, "mailbox": "a@x" + "m", "item_id": "1"},
    ]
    ids = {activity_id(**base)} | {activity_id(**v) for v in variants}  # type: ignore[arg-type]
    assert len(ids) == len(variants) + 1


def test_event_id_changes_with_each_new_version_only() -> None:
    original = make_activity()
    replay = activity_pb2.Activity()
    replay.CopyFrom(original)
    assert event_id(replay) == event_id(original)

    updated = activity_pb2.Activity()
    updated.CopyFrom(original)
    # Later than the original's own version, whatever the factory's counter gave it.
    updated.source_modified_at.FromDatetime(original.source_modified_at.ToDatetime() + timedelta(hours=1))
    cancelled = activity_pb2.Activity()
    cancelled.CopyFrom(original)
    cancelled.is_cancelled = True
    assert len({event_id(original), event_id(updated), event_id(cancelled)}) == 3
