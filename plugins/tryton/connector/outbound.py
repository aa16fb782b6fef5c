"""Groundtruth → Tryton: the write-back feed as `groundtruth.activity` records.

For each page, in this order: upsert the page into Tryton in one call (one Tryton transaction, keyed
by the e-mail's Message-ID or the meeting's iCalendar UID, so nothing is ever written twice) → report
the write-backs to Groundtruth as the reps' logged activities → ack the page. A crash or an outage at
any step leaves the page unacked: it is read again after the last ack and written again, harmlessly.
A page is never skipped: a failure is retried until it succeeds.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from groundtruth.gateway.v1 import gateway_pb2
from plugins.tryton.connector import mapping
from plugins.tryton.connector.jsonrpc import TrytonRpc
from plugins.tryton.connector.reps import RepDirectory
from services.client import GroundtruthClient

_log = logging.getLogger(__name__)


class Outbound:
    """Writes one feed page at a time (`run_page`); not concurrent with itself. Raises what Tryton or
    the gateway raised, having acked nothing it had not committed: the caller retries."""

    def __init__(
        self, tryton: TrytonRpc, client: GroundtruthClient, *, subscription: str, page_size: int = 100
    ):
        self._tryton = tryton
        self._client = client
        self._subscription = subscription
        self._page_size = page_size
        self._cursor = ""  # empty: after the subscription's last ack
        self.written = 0

    async def run_page(self, reps: RepDirectory) -> int:
        """Write and ack the next page; returns how many activities it held (0: caught up)."""
        page: gateway_pb2.FeedPage = await self._client.read_feed(
            subscription=self._subscription, cursor=self._cursor, page_size=self._page_size
        )
        if not page.activities:
            self._cursor = page.cursor or self._cursor
            return 0
        items = [mapping.activity_item(m, reps) for m in page.activities]
        try:
            results: list[list[Any]] = await self._tryton.call(
                "model.groundtruth.activity.upsert_from_feed", items
            )
        except Exception:
            self._cursor = ""  # read the page again from the last ack
            raise
        copies = {str(r[0]): (int(r[2]), r[3]) for r in results}
        logged = []
        for matched in page.activities:
            copy_id, logged_at = copies[matched.activity.id]
            if isinstance(logged_at, datetime):
                event = mapping.logged_event(matched, copy_id, logged_at)
                if event is not None:
                    logged.append(event)
        try:
            for batch in mapping.chunks(logged):
                await self._client.ingest(batch)
            await self._client.ack(page.cursor, subscription=self._subscription)
        except Exception:
            self._cursor = ""
            raise
        self._cursor = page.cursor
        self.written += len(items)
        return len(items)
