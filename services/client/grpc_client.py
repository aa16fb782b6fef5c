"""`GroundtruthClient`: the generated stub plus authentication, deadlines and safe retries."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

import grpc

from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.gateway.v1 import gateway_pb2_grpc
from groundtruth.scoring.v1 import scoring_pb2

TResponse = TypeVar("TResponse")
_RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of UNAVAILABLE (a backing service is down) and RESOURCE_EXHAUSTED (rate limit: the
    server's retry-after is honoured). Every call this client retries is safe to repeat: reads, acks
    (they only move forward) and ingest (always sent with an idempotency key)."""

    attempts: int = 5
    initial_backoff_sec: float = 0.2
    max_backoff_sec: float = 10.0


class GroundtruthClient:
    """One channel to the gateway. Use as `async with`; not shared across event loops."""

    def __init__(
        self,
        target: str,
        api_key: str,
        *,
        secure: bool = False,
        timeout_sec: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._channel = (
            grpc.aio.secure_channel(target, grpc.ssl_channel_credentials())
            if secure
            else grpc.aio.insecure_channel(target)
        )
        self.stub = gateway_pb2_grpc.GroundtruthStub(self._channel)
        self._metadata = (("authorization", f"Bearer {api_key}"),)
        self._timeout_sec = timeout_sec
        self._retry = retry or RetryPolicy()

    async def __aenter__(self) -> GroundtruthClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close()

    async def ingest(
        self, events: Sequence[crm_pb2.CrmEvent], *, idempotency_key: str | None = None
    ) -> g.IngestCrmEventsResponse:
        """Publish CRM events (at most 500). A key is generated when none is given, so the client's
        own retries never publish a batch twice; pass your own to make your retries safe too."""
        request = g.IngestCrmEventsRequest(
            events=events, idempotency_key=idempotency_key or str(uuid.uuid4())
        )
        return await self._unary(self.stub.IngestCrmEvents, request)

    async def read_feed(
        self, *, subscription: str = "default", cursor: str = "", page_size: int = 100
    ) -> g.FeedPage:
        """The next page after `cursor` (or after the subscription's last ack)."""
        request = g.ReadFeedRequest(subscription=subscription, cursor=cursor, page_size=page_size)
        return await self._unary(self.stub.ReadFeed, request)

    async def stream_feed(
        self, *, subscription: str = "default", cursor: str = "", page_size: int = 100
    ) -> AsyncIterator[g.FeedPage]:
        """Pages as they arrive, forever; reconnects after UNAVAILABLE from the last page it yielded."""
        failures = 0
        while True:
            request = g.StreamFeedRequest(subscription=subscription, cursor=cursor, page_size=page_size)
            call = self.stub.StreamFeed(request, metadata=self._metadata)
            try:
                async for page in call:
                    failures = 0
                    cursor = page.cursor
                    yield page
                return
            except grpc.aio.AioRpcError as exc:
                failures += 1
                if exc.code() not in _RETRYABLE or failures >= self._retry.attempts:
                    raise
                await asyncio.sleep(self._backoff(failures, exc))
            finally:
                call.cancel()

    async def ack(self, cursor: str, *, subscription: str = "default") -> str:
        """Store `cursor` as the subscription's resume point; returns the point now stored."""
        request = g.AckFeedRequest(subscription=subscription, cursor=cursor)
        return (await self._unary(self.stub.AckFeed, request)).acked_cursor

    async def rep_score(self, rep_id: str) -> scoring_pb2.RepScore:
        return await self._unary(self.stub.GetRepScore, g.GetRepScoreRequest(rep_id=rep_id))

    async def rep_scores(
        self, *, team_id: str = "", page_size: int = 500, role: str = ""
    ) -> list[scoring_pb2.RepScore]:
        """Every rep's latest score, all pages (a team's, or the whole tenant's when `team_id` is empty;
        of one role when `role` is not empty)."""
        scores: list[scoring_pb2.RepScore] = []
        token = ""
        while True:
            request = g.ListRepScoresRequest(
                team_id=team_id, page_size=page_size, page_token=token, role=role
            )
            page: scoring_pb2.ListRepScoresResponse = await self._unary(self.stub.ListRepScores, request)
            scores.extend(page.scores)
            token = page.next_page_token
            if not token:
                return scores

    async def _unary(self, method: Callable[..., Awaitable[TResponse]], request: object) -> TResponse:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await method(request, metadata=self._metadata, timeout=self._timeout_sec)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RETRYABLE or attempt >= self._retry.attempts:
                    raise
                await asyncio.sleep(self._backoff(attempt, exc))

    def _backoff(self, attempt: int, exc: grpc.aio.AioRpcError) -> float:
        for key, value in exc.trailing_metadata() or ():
            if key == "retry-after":
                return float(value)
        backoff = min(self._retry.max_backoff_sec, self._retry.initial_backoff_sec * 2.0 ** (attempt - 1))
        return backoff * (0.5 + random.random() / 2)
