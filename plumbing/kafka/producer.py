"""Producer factory with the platform's delivery settings."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

# 1 MiB, Kafka's default max.message.bytes; larger payloads are a bug, not a tuning problem.
MAX_REQUEST_SIZE = 1_048_576


def create_producer(
    bootstrap_servers: str,
    *,
    enable_idempotence: bool,
    client_id: str,
    linger_ms: int = 5,
    max_batch_size: int = 16_384,
) -> AIOKafkaProducer:
    """An unstarted producer that waits for every in-sync replica (`acks=all`).

    Callers await each send's delivery future before treating the record as stored. `max_batch_size`
    bounds one partition's batch (aiokafka's default, 16 KiB, unless a caller publishing thousands
    of records at once asks for more; at most `MAX_REQUEST_SIZE`, the broker's limit for a batch).
    """
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=enable_idempotence,
        linger_ms=linger_ms,
        max_batch_size=max_batch_size,
        max_request_size=MAX_REQUEST_SIZE,
        request_timeout_ms=30_000,
        retry_backoff_ms=200,
    )


async def broker_reachable(producer: AIOKafkaProducer) -> bool:
    """A metadata round trip: False while the broker is down or paused (the caller bounds the wait)."""
    try:
        await producer.client.fetch_all_metadata()
    except Exception:
        return False
    return True
