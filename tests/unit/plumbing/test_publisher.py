"""The keyed batch publisher against an in-memory producer: partitions, batches, acknowledgements."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from aiokafka.errors import KafkaTimeoutError

from plumbing.kafka.publisher import KeyedBatchPublisher, RecordTooLarge

TOPIC = "t"
HEADERS = [("content-type", b"application/x-protobuf")]


@dataclass
class FakeBatch:
    capacity: int
    records: list[tuple[bytes, bytes | None, list[tuple[str, bytes]]]] = field(default_factory=list)
    closed: bool = False

    def append(
        self, *, key: bytes, value: bytes | None, timestamp: None, headers: list[tuple[str, bytes]]
    ) -> object | None:
        if self.closed or len(self.records) >= self.capacity:
            return None
        self.records.append((key, value, headers))
        return object()

    def close(self) -> None:
        self.closed = True


class FakeProducer:
    """Batches of `capacity` records; `fail_at` makes that many-th delivery fail."""

    def __init__(self, *, partitions: int = 12, capacity: int = 1000, fail_at: int | None = None) -> None:
        self.partitions = set(range(partitions))
        self.capacity = capacity
        self.fail_at = fail_at
        self.sent: list[tuple[int, FakeBatch]] = []
        self.metadata_requests = 0

    async def partitions_for(self, topic: str) -> set[int]:
        self.metadata_requests += 1
        return self.partitions

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.capacity)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> asyncio.Future[None]:
        assert batch.closed, "a batch is closed before it is handed over"
        self.sent.append((partition, batch))
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail_at == len(self.sent):
            delivery.set_exception(KafkaTimeoutError())
        else:
            delivery.set_result(None)
        return delivery


def java_partition(murmur2_signed: int, partitions: int) -> int:
    """Kafka's Java client: `Utils.toPositive(Utils.murmur2(key)) % numPartitions`."""
    return (murmur2_signed & 0x7FFFFFFF) % partitions


@pytest.mark.parametrize(
    ("key", "java_murmur2"),
    [
        # Vectors from Kafka's UtilsTest.testMurmur2.
        pytest.param(b"21", -973932308, id="two bytes"),
        pytest.param(b"foobar", -790332482, id="six bytes"),
        pytest.param(b"abc", 479470107, id="positive hash"),
        pytest.param(b"a-little-bit-long-string", -985981536, id="long key"),
    ],
)
async def test_a_key_goes_where_the_java_client_and_send_put_it(key: bytes, java_murmur2: int) -> None:
    producer = FakeProducer(partitions=12)
    await KeyedBatchPublisher(producer).publish(TOPIC, [(key, b"v")])
    assert [partition for partition, _ in producer.sent] == [java_partition(java_murmur2, 12)]


async def test_one_batch_per_partition_in_order_with_headers_and_tombstones() -> None:
    producer = FakeProducer()
    records = [(f"acme:rep-{i % 4}".encode(), None if i == 5 else f"v{i}".encode()) for i in range(40)]
    await KeyedBatchPublisher(producer).publish(TOPIC, records, HEADERS)
    by_key: dict[bytes, list[bytes | None]] = {}
    for _, batch in producer.sent:
        for key, value, headers in batch.records:
            by_key.setdefault(key, []).append(value)
            assert headers == HEADERS
    assert by_key == {k: [v for kk, v in records if kk == k] for k, _ in records}
    assert len(producer.sent) == len({partition for partition, _ in producer.sent})


@pytest.mark.parametrize(
    ("count", "capacity", "batches"),
    [
        pytest.param(10, 10, 1, id="exactly one full batch"),
        pytest.param(11, 10, 2, id="one record over: a second batch"),
        pytest.param(25, 10, 3, id="three batches"),
    ],
)
async def test_a_full_batch_is_sent_and_a_new_one_started(count: int, capacity: int, batches: int) -> None:
    producer = FakeProducer(capacity=capacity)
    await KeyedBatchPublisher(producer).publish(TOPIC, [(b"one-key", b"v")] * count)
    assert [len(batch.records) for _, batch in producer.sent] == [
        min(capacity, count - i * capacity) for i in range(batches)
    ]


async def test_no_records_sends_nothing_and_asks_no_metadata() -> None:
    producer = FakeProducer()
    await KeyedBatchPublisher(producer).publish(TOPIC, [])
    assert producer.sent == [] and producer.metadata_requests == 0


async def test_a_record_that_never_fits_raises() -> None:
    with pytest.raises(RecordTooLarge):
        await KeyedBatchPublisher(FakeProducer(capacity=0)).publish(TOPIC, [(b"k", b"v")])


async def test_an_unacknowledged_batch_raises_the_brokers_error() -> None:
    producer = FakeProducer(fail_at=1)
    records = [(f"k{i}".encode(), b"v") for i in range(50)]
    with pytest.raises(KafkaTimeoutError):
        await KeyedBatchPublisher(producer).publish(TOPIC, records)


async def test_a_custom_partitioner_is_used() -> None:
    producer = FakeProducer(partitions=3)
    publisher = KeyedBatchPublisher(producer, partitioner=lambda key, all_, available: all_[-1])
    await publisher.publish(TOPIC, [(b"a", b"1"), (b"b", b"2")])
    assert [partition for partition, _ in producer.sent] == [2]
