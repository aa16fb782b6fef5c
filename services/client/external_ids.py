"""The stable external id of a captured e-mail or meeting: what a plugin upserts by in its CRM.

Our activity id is a hash of the mailbox and the provider's item id, so it changes when the same
e-mail is captured again under another item id (Graph gives a message a new id when it moves folders,
a mailbox re-registered or resynced starts over) and two reps' copies of one e-mail have two ids.
The ids the world gives the item do not change:

- an e-mail: its RFC 5322 Message-ID (`message:<...>`), the same in every mailbox it reached;
- a meeting: its iCalendar UID (`ical:<uid>`), the same in every attendee's calendar. Microsoft Graph
  gives each occurrence of a series its own `iCalUId`; Google gives every occurrence the series' UID,
  so its occurrence is told apart by the original start Google puts in the instance id
  (`<series id>_<original start>`), which stays when the occurrence is moved;
- anything without them (a draft, a provider that gave none): our activity id (`groundtruth:<id>`).
"""

from __future__ import annotations

from groundtruth.activity.v1 import activity_pb2


def external_id(activity: activity_pb2.Activity) -> str:
    """The key to upsert `activity` by in the CRM (at most 300 characters)."""
    ids = activity.provider_ids
    if activity.kind == activity_pb2.ACTIVITY_KIND_MEETING and ids.ical_uid:
        uid = f"ical:{ids.ical_uid.strip()}"
        if activity.provider == activity_pb2.PROVIDER_GOOGLE and ids.series_id:
            occurrence = ids.item_id.removeprefix(f"{ids.series_id}_")
            if occurrence == ids.item_id:  # not an instance id: the start is the best we know
                occurrence = activity.occurred_at.ToDatetime().strftime("%Y%m%dT%H%M%SZ")
            uid = f"{uid}/{occurrence}"
        return uid[:300]
    if activity.kind != activity_pb2.ACTIVITY_KIND_MEETING and ids.internet_message_id.strip():
        return f"message:{ids.internet_message_id.strip()}"[:300]
    return f"groundtruth:{activity.id}"
