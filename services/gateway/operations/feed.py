"""The write-back feed: matched activities of the tenant in `feed_sequence` order, with acks.

Protocol (REST and gRPC alike): read pages after a cursor (no cursor: after the subscription's last
ack), write them into the CRM, then ack the page's cursor. A plugin that crashes resumes from its
last ack: it misses nothing, and sees again at most what it had read but not acked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain.access import Operation
from services.gateway.domain.feed import next_position
from services.gateway.domain.principal import Principal
from services.gateway.errors import Unauthenticated
from services.gateway.operations import checks
from services.gateway.operations.context import Gateway
from services.gateway.operations.scope import TenantScope, enter, scoped

DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class FeedPage:
    activities: list[s.MatchedActivity]
    cursor: str  # after this page: pass it to read on, ack it once the page is written back
    acked_cursor: str  # the subscription's stored resume point


@scoped(Operation.READ_FEED)
async def read_page(scope: TenantScope, *, subscription: str, cursor: str, page_size: int) -> FeedPage:
    return await _first_page(scope, subscription=subscription, cursor=cursor, page_size=page_size)


@scoped(Operation.ACK_FEED)
async def ack(scope: TenantScope, *, subscription: str, cursor: str) -> str:
    """Store `cursor` as the subscription's resume point; returns the point now stored."""
    name = checks.subscription(subscription)
    # Only a position this gateway served to this subscription verifies, so an ack never skips
    # activities nobody was given.
    stored = await scope.store.ack(subscription=name, sequence=scope.feed_position(name, cursor))
    return scope.feed_cursor(name, stored)


async def stream(
    gateway: Gateway, principal: Principal, *, subscription: str, cursor: str, page_size: int
) -> AsyncIterator[FeedPage]:
    """Pages as they become available, forever; polls scoring while caught up.

    Needs the role of `read_page` (checked at the first iteration, like `@scoped` does for the
    others). Ends with `Unauthenticated` when the key is revoked; the caller cancels it to stop.
    """
    scope = enter(gateway, principal, Operation.READ_FEED)
    name = checks.subscription(subscription)
    first = await _first_page(scope, subscription=name, cursor=cursor, page_size=page_size)
    acked_cursor = first.acked_cursor
    if first.activities:
        yield first
    after = scope.feed_position(name, first.cursor)
    size = scope.limits.page_size(page_size, default=DEFAULT_PAGE_SIZE)
    while True:
        activities, position = await _page(scope, after=after, page_size=size)
        if activities:
            yield FeedPage(activities, scope.feed_cursor(name, position), acked_cursor)
        after = position
        if len(activities) < size:
            await asyncio.sleep(scope.limits.feed_poll_interval_sec)
            if not await scope.credentials.still_valid(principal):
                raise Unauthenticated("the API key was revoked")


async def _first_page(scope: TenantScope, *, subscription: str, cursor: str, page_size: int) -> FeedPage:
    name = checks.subscription(subscription)
    acked = await scope.store.acked_sequence(subscription=name)
    after = scope.feed_position(name, cursor) if cursor else acked
    size = scope.limits.page_size(page_size, default=DEFAULT_PAGE_SIZE)
    activities, position = await _page(scope, after=after, page_size=size)
    return FeedPage(activities, scope.feed_cursor(name, position), scope.feed_cursor(name, acked))


async def _page(scope: TenantScope, *, after: int, page_size: int) -> tuple[list[s.MatchedActivity], int]:
    response = await scope.scoring.list_matched_activities(after_sequence=after, page_size=page_size)
    # Never repeat what is behind the cursor, and never pass on another tenant's item.
    activities = [
        a for a in response.activities if a.feed_sequence > after and a.tenant_id in ("", scope.tenant_id)
    ]
    return activities, next_position(after, response.last_sequence, [a.feed_sequence for a in activities])
