"""An example CRM plugin loop: push CRM changes, pull matched activities, write them back, ack.

A real plugin replaces `Crm` with calls to Salesforce, HubSpot, Dynamics...; the loop is the same.
Writing back is an upsert in the CRM keyed by the stable external id (Message-ID, iCalendar UID:
`external_id`), and the ack comes after the write, so a crash at any point loses nothing and repeats
at most the page that was not acked, without a second record. plugins/tryton is a complete plugin
for a real CRM built the same way (docs/plugins.md).

    python -m services.client.example_plugin gateway:50051 gt_... salesforce
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.client.external_ids import external_id
from services.client.grpc_client import GroundtruthClient


@dataclass
class CrmTask:
    """One e-mail or meeting as the CRM holds it: one record, whichever reps' mailboxes it was in."""

    external_id: str
    related_crm_id: str
    copies: dict[str, scoring_pb2.MatchedActivity] = field(default_factory=dict)  # by our activity id
    logged_at: dict[str, datetime] = field(default_factory=dict)  # when each copy was first written


@dataclass
class Crm:
    """Stand-in for the CRM. Write-back is an upsert keyed by the e-mail's Message-ID or the meeting's
    iCalendar UID (`external_id`), never by our activity id: a re-capture (a message moved between
    folders, a mailbox resynced) gets a new activity id for the same e-mail, and two reps' copies of one
    e-mail have two; both must land on the one CRM record."""

    tasks: dict[str, CrmTask] = field(default_factory=dict)  # by external id
    logged: dict[str, str] = field(default_factory=dict)  # our activity id -> external id

    def changes_since_last_sync(self) -> list[crm_pb2.CrmEvent]:
        login = crm_pb2.CrmEvent(rep_id="rep-1", source="example", user_login=crm_pb2.UserLogin())
        login.user_login.login_at.FromDatetime(datetime.now(UTC))
        return [login]

    def write_back(self, activity: scoring_pb2.MatchedActivity) -> crm_pb2.CrmEvent:
        """Upsert the activity's CRM record by its external id; report the write as an ActivityLogged
        keyed by record and rep (one log per rep's copy, the same on every repeat)."""
        key = external_id(activity.activity)
        related = activity.opportunity_crm_id or activity.account_crm_id
        task = self.tasks.setdefault(key, CrmTask(key, related))
        task.related_crm_id = related or task.related_crm_id
        task.copies[activity.activity.id] = activity
        self.logged[activity.activity.id] = key
        is_meeting = activity.activity.kind == activity_pb2.ACTIVITY_KIND_MEETING
        event = crm_pb2.CrmEvent(
            rep_id=activity.activity.rep_id,
            source="example",
            activity_logged=crm_pb2.ActivityLogged(
                crm_activity_id=f"task:{key}:{activity.activity.rep_id}"[:255],
                kind=crm_pb2.LOGGED_ACTIVITY_KIND_MEETING
                if is_meeting
                else crm_pb2.LOGGED_ACTIVITY_KIND_EMAIL,
                occurred_at=activity.activity.occurred_at,
                related_crm_id=task.related_crm_id,
                source_activity_id=activity.activity.id,
            ),
        )
        # When the CRM first stored it, so a repeated write reports the same event (same id, applied once).
        event.activity_logged.logged_at.FromDatetime(
            task.logged_at.setdefault(activity.activity.id, datetime.now(UTC))
        )
        return event


async def sync(
    client: GroundtruthClient, crm: Crm, *, subscription: str, max_pages: int | None = None
) -> int:
    """Push the CRM's changes, then follow the feed; returns how many pages were written back."""
    await client.ingest(crm.changes_since_last_sync())
    pages = 0
    async for page in client.stream_feed(subscription=subscription):
        written = [crm.write_back(activity) for activity in page.activities]
        await client.ingest(written)  # the CRM writes count as logged activity, like a rep's
        await client.ack(page.cursor, subscription=subscription)
        pages += 1
        if max_pages is not None and pages >= max_pages:
            break
    return pages


async def _main(target: str, api_key: str, subscription: str) -> None:
    async with GroundtruthClient(target, api_key) as client:
        await sync(client, Crm(), subscription=subscription)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(
            "usage: python -m services.client.example_plugin TARGET API_KEY SUBSCRIPTION",
            file=sys.stderr,
        )
        sys.exit(2)
    asyncio.run(_main(*sys.argv[1:]))
