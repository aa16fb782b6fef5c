"""An example CRM plugin loop: push CRM changes, pull matched activities, write them back, ack.

A real plugin replaces `Crm` with calls to Salesforce, HubSpot, Dynamics...; the loop is the same.
Writing back is idempotent in the CRM (keyed by the activity id) and the ack comes after the write,
so a crash at any point loses nothing and repeats at most the page that was not acked.

    python -m services.client.example_plugin gateway:50051 gt_... salesforce
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.client.grpc_client import GroundtruthClient


@dataclass
class Crm:
    """Stand-in for the CRM: logged activities by our activity id (what makes write-back idempotent)."""

    logged: dict[str, scoring_pb2.MatchedActivity] = field(default_factory=dict)

    def changes_since_last_sync(self) -> list[crm_pb2.CrmEvent]:
        login = crm_pb2.CrmEvent(rep_id="rep-1", source="example", user_login=crm_pb2.UserLogin())
        login.user_login.login_at.FromDatetime(datetime.now(UTC))
        return [login]

    def write_back(self, activity: scoring_pb2.MatchedActivity) -> crm_pb2.CrmEvent:
        """Log the activity against its matched record; report the write as an ActivityLogged."""
        self.logged[activity.activity.id] = activity
        event = crm_pb2.CrmEvent(
            rep_id=activity.activity.rep_id,
            source="example",
            activity_logged=crm_pb2.ActivityLogged(
                crm_activity_id=f"task-{activity.activity.id}",
                kind=crm_pb2.LOGGED_ACTIVITY_KIND_MEETING,
                occurred_at=activity.activity.occurred_at,
                related_crm_id=activity.opportunity_crm_id or activity.account_crm_id,
                source_activity_id=activity.activity.id,
            ),
        )
        event.activity_logged.logged_at.FromDatetime(datetime.now(UTC))
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
