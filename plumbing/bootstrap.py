"""The start-up every service shares: its migrations, its pool, its producer, one exit stack.

Each service's `app.py` opens `service_bootstrap(...)` and pushes its own components onto the yielded
exit stack; on exit they close first (in reverse order of start), then the producer, then the pool.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaProducer

from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool, create_pool
from plumbing.kafka.producer import create_producer
from plumbing.settings import ServiceSettings

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bootstrapped:
    """What every service starts from; everything here lives exactly as long as the context.

    `pool` resolves unqualified names in the service's schema first. `producer` is started, waits for
    every in-sync replica (`acks=all`) and is idempotent unless the settings turn that off (brokers
    without InitProducerId). `stack` is the service's own exit stack: what it pushes closes before
    the producer and the pool.
    """

    pool: Pool
    producer: AIOKafkaProducer
    stack: contextlib.AsyncExitStack


@contextlib.asynccontextmanager
async def service_bootstrap(
    settings: ServiceSettings, *, name: str, schema: str, migrations: Path, pool_size: int
) -> AsyncIterator[Bootstrapped]:
    """Apply `schema`'s migrations from `migrations`, open the pool, start the producer, then yield.

    Called once by each service's start-up. May block on PostgreSQL (the migrations take an advisory
    lock, so concurrent replicas wait for each other) and on the broker (the producer's first metadata
    request). Raises what migrating, connecting or starting raises (`MigrationError` when an applied
    migration was edited); whatever was opened before the failure is closed again. `name` is the
    producer's client id.
    """
    database_url = settings.database_url.get_secret_value()
    await migrate(database_url, schema=schema, directory=migrations)
    async with contextlib.AsyncExitStack() as stack:
        pool = await create_pool(database_url, schema=schema, max_size=pool_size)
        stack.push_async_callback(pool.close)
        producer = create_producer(
            settings.kafka_bootstrap_servers,
            enable_idempotence=settings.kafka_enable_idempotence,
            client_id=name,
        )
        await producer.start()
        stack.push_async_callback(producer.stop)
        _log.debug("service bootstrapped", extra={"service": name, "schema": schema})
        # One stack: what the service pushes later unwinds first, before the producer and the pool.
        yield Bootstrapped(pool=pool, producer=producer, stack=stack)
