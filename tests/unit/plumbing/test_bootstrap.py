"""The shared start-up: its order, and what is closed when, with stand-ins for the database and broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from plumbing import bootstrap
from plumbing.settings import ServiceSettings


class Stand:
    def __init__(self, log: list[str], name: str, *, fail_start: bool = False) -> None:
        self.log, self.name, self.fail_start = log, name, fail_start

    async def start(self) -> None:
        if self.fail_start:
            raise ConnectionError("broker unreachable")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")

    async def close(self) -> None:
        self.log.append(f"close {self.name}")


def settings() -> ServiceSettings:
    env: dict[str, object] = {
        "DATABASE_URL": SecretStr("postgresql://db/app"),
        "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
        "KAFKA_ENABLE_IDEMPOTENCE": True,
    }
    return ServiceSettings(**env)  # type: ignore[arg-type]


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    entries: list[str] = []

    async def migrate(dsn: str, *, schema: str, directory: Path) -> list[int]:
        entries.append(f"migrate {schema} from {directory.name} on {dsn}")
        return []

    async def create_pool(dsn: str, *, schema: str, max_size: int) -> Stand:
        entries.append(f"pool {schema} x{max_size}")
        return Stand(entries, "pool")

    def create_producer(servers: str, *, enable_idempotence: bool, client_id: str) -> Stand:
        entries.append(f"producer {client_id} idempotent={enable_idempotence}")
        return Stand(entries, "producer", fail_start=client_id == "broken")

    monkeypatch.setattr(bootstrap, "migrate", migrate)
    monkeypatch.setattr(bootstrap, "create_pool", create_pool)
    monkeypatch.setattr(bootstrap, "create_producer", create_producer)
    return entries


async def test_migrates_then_opens_and_closes_in_reverse_with_the_services_own_first(log: list[str]) -> None:
    async with bootstrap.service_bootstrap(
        settings(), name="scoring", schema="scoring", migrations=Path("migrations"), pool_size=4
    ) as started:
        assert isinstance(started.pool, Stand) and isinstance(started.producer, Stand)
        started.stack.push_async_callback(Stand(log, "service").close)
        log.append("serving")
    assert log == [
        "migrate scoring from migrations on postgresql://db/app",
        "pool scoring x4",
        "producer scoring idempotent=True",
        "start producer",
        "serving",
        "close service",
        "stop producer",
        "close pool",
    ]


async def test_a_producer_that_cannot_start_closes_the_pool(log: list[str]) -> None:
    with pytest.raises(ConnectionError):
        async with bootstrap.service_bootstrap(
            settings(), name="broken", schema="gateway", migrations=Path("m"), pool_size=1
        ):
            pytest.fail("must not start")  # pragma: no cover
    assert log[-1] == "close pool"
