"""Regressions found by the fault-injection suite (tests/chaos)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest
from aiokafka.errors import KafkaConnectionError
from starlette.applications import Starlette

from groundtruth.activity.v1 import activity_pb2
from services.capture.adapters.kafka_publisher import KafkaActivityPublisher
from services.capture.adapters.postgres.errors import translate_store_errors
from services.capture.domain.status import FaultKind
from services.capture.operations.sync.worker import classify
from services.capture.ports import LifecycleEvent
from services.capture.providers.google.push import PushParseError, parse_pubsub_push
from services.capture.providers.microsoft.webhooks import NOTIFICATION_PATH, webhook_routes

DEEP = b"[" * 100_000  # valid JSON's first bytes, nested deeper than the decoder's recursion limit


class _NoSubscriptions:
    def changed(self, subscription_id: str, client_state: str | None) -> bool:
        return False

    def lifecycle(self, subscription_id: str, client_state: str | None, event: LifecycleEvent) -> bool:
        return False

    def mailbox_changed(self, provider: activity_pb2.Provider.ValueType, address: str) -> bool:
        return False


async def test_a_deeply_nested_graph_notification_is_a_400_not_a_500() -> None:
    app = Starlette(routes=webhook_routes(_NoSubscriptions()))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://capture") as client:
        answer = await client.post(
            NOTIFICATION_PATH, content=DEEP, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 400


def test_a_deeply_nested_gmail_push_is_refused_as_unparseable() -> None:
    with pytest.raises(PushParseError):
        parse_pubsub_push(DEEP)


class _BrokerGone:
    """Just enough of AIOKafkaProducer for KafkaActivityPublisher to meet a broker that is down."""

    def __init__(self, failure: Exception) -> None:
        self._failure = failure

    async def partitions_for(self, topic: str) -> set[int]:
        raise self._failure


async def _as_the_store_raises_it(failure: Exception) -> BaseException:
    @translate_store_errors
    async def statement() -> None:
        raise failure

    with pytest.raises(Exception) as raised:
        await statement()
    return raised.value


async def _as_the_publisher_raises_it(failure: Exception) -> BaseException:
    publisher = KafkaActivityPublisher(_BrokerGone(failure), topic="t")
    with pytest.raises(Exception) as raised:
        await publisher.publish([activity_pb2.Activity(tenant_id="acme", rep_id="rep-ann")])
    return raised.value


@pytest.mark.parametrize(
    ("failure", "raised_by"),
    [
        pytest.param(
            asyncpg.exceptions.ConnectionDoesNotExistError(
                "connection was closed in the middle of operation"
            ),
            _as_the_store_raises_it,
            id="postgres connection dropped",
        ),
        pytest.param(
            ConnectionRefusedError(111, "Connect call failed"), _as_the_store_raises_it, id="postgres down"
        ),
        pytest.param(KafkaConnectionError("broker gone"), _as_the_publisher_raises_it, id="broker gone"),
    ],
)
async def test_our_own_storage_or_broker_restarting_is_unavailable_not_rejected(
    failure: Exception, raised_by: Callable[[Exception], Awaitable[BaseException]]
) -> None:
    # Rejected parks the mailbox for error_retry_sec (minutes) and tells the admin to act;
    # a PostgreSQL restart under a stream must be retried with backoff instead. The adapters say it
    # in the ports' words (StoreUnavailable, PublishFailed); the worker classifies those.
    assert classify(await raised_by(failure)) is FaultKind.UNAVAILABLE


def test_an_unknown_exception_is_still_rejected() -> None:
    assert classify(RuntimeError("a bug")) is FaultKind.REJECTED
