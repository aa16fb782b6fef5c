"""The provider-independent half of the capture benchmark.

Three processes share the machine: the provider emulator, the capture service (its own process, so
its RSS is its own), and this driver (raw client, Kafka tail, admin calls). Figures:
- ceiling: the emulator's serving rate, measured by a raw client (a minimal keep-alive HTTP/1.1
  client and orjson, `rawhttp.py`) that reads the same mailboxes the same way (same requests, page
  size and concurrency) and does nothing else;
- backfill: items per second from registering the mailboxes until every item is on Kafka;
- webhook latency: a change made in the emulator (which notifies capture at once) until its activity
  is on Kafka, sequential samples after the backfill;
- peak RSS of the capture process over the whole run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import grpc
import psutil
from aiokafka import AIOKafkaConsumer
from grpc_health.v1 import health_pb2, health_pb2_grpc

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2_grpc
from plumbing.embedded import Infrastructure
from plumbing.embedded.mesh_ca import issue_mesh
from plumbing.embedded.process import free_port, spawn, terminate
from plumbing.kafka.topics import Topics, ensure_topics
from plumbing.tls import MeshTls
from services.capture.adapters.secret_box import new_key
from tests.bench.harness import BenchReport, Figure, RssSampler
from tests.kafka_topics import partitions_of


class BenchProvider(Protocol):
    """What the benchmark needs from one provider."""

    name: str
    ceiling: str  # what the raw client does, printed with the figures

    def mailboxes(self, count: int) -> list[str]: ...

    def capture_env(self, emulators: dict[str, Any]) -> dict[str, str]:
        """GT_CAPTURE_* variables pointing capture at this provider's emulator."""
        ...

    async def register(
        self,
        admin: capture_pb2_grpc.CaptureAdminAsyncStub,
        emulators: dict[str, Any],
        mailboxes: list[str],
        *,
        capture_url: str,
    ) -> None:
        """Register the connection and mailboxes; `capture_url` is where capture's webhooks are."""
        ...

    async def raw_read(self, emulators: dict[str, Any], mailboxes: list[str], *, concurrency: int) -> int:
        """Page every mailbox's streams as capture would, doing nothing with the items; returns the
        number of items read."""
        ...

    async def add_item(self, control_url: str, mailbox: str) -> None:
        """Make one new customer e-mail appear in the mailbox (the emulator notifies capture)."""
        ...

    async def subscriptions(self, control_url: str) -> int: ...


class CpuMeter:
    """CPU seconds (user + system, children included) each process used since the meter was made."""

    def __init__(self, pids: dict[str, int | None], *, own: str) -> None:
        self._own = own  # this process: its children are the others, so they are not added to it
        self._processes = {name: psutil.Process(pid) for name, pid in pids.items() if pid is not None}
        self._start = {name: self._total(name, p) for name, p in self._processes.items()}

    def _total(self, name: str, process: psutil.Process) -> float:
        total = 0.0
        for p in [process] if name == self._own else [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
        return total

    def seconds(self) -> dict[str, float]:
        return {name: self._total(name, p) - self._start[name] for name, p in self._processes.items()}


@dataclass
class Tail:
    count: int = 0
    arrivals: dict[str, float] = field(default_factory=dict)  # provider item id → arrival time
    # Decoding every record of the backfill would load the shared CPUs; only latency samples need it.
    decode: bool = False


@contextlib.asynccontextmanager
async def tailing(bootstrap: str, topic: str) -> AsyncIterator[Tail]:
    tail = Tail()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20)
    await consumer.start()
    partitions = await partitions_of(bootstrap, topic)
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)

    async def pump() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=50, max_records=5000)
            now = time.monotonic()
            for records in batch.values():
                tail.count += len(records)
                if not tail.decode:
                    continue
                for record in records:
                    if record.value is not None:
                        item = activity_pb2.Activity.FromString(record.value).provider_ids.item_id
                        tail.arrivals.setdefault(item, now)

    task = asyncio.create_task(pump())
    try:
        yield tail
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()


async def _serving(port: int, tls: MeshTls) -> bool:
    try:
        async with tls.channel(f"127.0.0.1:{port}") as channel:
            answer = await health_pb2_grpc.HealthStub(channel).Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=""), timeout=1
            )
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.aio.AioRpcError:
        return False


async def _until(probe: Any, *, timeout_sec: float, interval_sec: float = 0.2, what: str) -> None:
    deadline = time.monotonic() + timeout_sec
    while not await probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout_sec}s")
        await asyncio.sleep(interval_sec)


def _start_emulators(
    run_dir: Path, mailboxes: int, items: int
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    state = run_dir / "emulators"
    state.mkdir(parents=True, exist_ok=True)
    process = spawn(
        [
            sys.executable,
            "-m",
            "services.sandbox.emulators",
            "--state-dir",
            str(state),
            "--profile",
            "bench",
            "--mailboxes",
            str(mailboxes),
            "--items",
            str(items),
            "--control-port",
            str(free_port()),
        ],
        log_path=run_dir / "emulators.log",
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    described = state / "emulators.json"
    deadline = time.monotonic() + 300
    while not described.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"emulators did not start; see {run_dir / 'emulators.log'}")
        time.sleep(0.2)
    return process, json.loads(described.read_text())


async def run(provider: BenchProvider, *, mailboxes: int, items: int, samples: int, concurrency: int) -> bool:
    report = BenchReport(f"capture-{provider.name}")
    run_dir = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    infra = Infrastructure(run_dir / "infra", durable=False)
    endpoints = infra.start()
    topics = Topics(namespace="bench.")
    emulator: subprocess.Popen[bytes] | None = None
    capture: subprocess.Popen[bytes] | None = None
    try:
        await ensure_topics(endpoints.kafka_bootstrap_servers, topics)
        print(
            f"starting the {provider.name} emulator with {mailboxes} mailboxes x {items} items ...",
            flush=True,
        )
        emulator, emulators = _start_emulators(run_dir, mailboxes, items)
        addresses = provider.mailboxes(mailboxes)

        started = time.monotonic()
        expected = await provider.raw_read(emulators, addresses, concurrency=concurrency)
        raw_seconds = time.monotonic() - started
        raw_rate = expected / raw_seconds
        print(f"raw client: {expected} items in {raw_seconds:.1f}s ({raw_rate:,.0f} items/s)", flush=True)

        grpc_port, http_port = free_port(), free_port()
        mesh = issue_mesh(run_dir / "mesh", services=("bench",))
        env = {
            **mesh.env("bench"),
            **os.environ,
            "DATABASE_URL": endpoints.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
            "KAFKA_TOPIC_NAMESPACE": topics.namespace,
            "LOG_LEVEL": "WARNING",
            "GT_CAPTURE_HOST": "127.0.0.1",
            "GT_CAPTURE_GRPC_PORT": str(grpc_port),
            "GT_CAPTURE_HTTP_PORT": str(http_port),
            "GT_CAPTURE_PUBLIC_BASE_URL": f"http://127.0.0.1:{http_port}",
            "GT_CAPTURE_SECRET_KEYS": new_key(),
            "GT_CAPTURE_POLL_INTERVAL_SEC": "600",
            "GT_CAPTURE_BACKFILL_CONCURRENCY": str(concurrency),
            **provider.capture_env(emulators),
        }
        capture = spawn([sys.executable, "-m", "services.capture"], log_path=run_dir / "capture.log", env=env)
        with RssSampler(capture.pid, interval_sec=0.25) as rss:
            await _until(lambda: _serving(grpc_port, mesh.tls("bench")), timeout_sec=60, what="capture ready")
            async with (
                tailing(endpoints.kafka_bootstrap_servers, topics.activity_captured) as tail,
                mesh.tls("bench").channel(f"127.0.0.1:{grpc_port}") as channel,
            ):
                admin = capture_pb2_grpc.CaptureAdminStub(channel)
                cpu = CpuMeter(
                    {
                        "capture": capture.pid,
                        "emulator": emulator.pid,
                        "broker": infra.broker.pid if infra.broker else None,
                        "postgres": infra.postgres.pid if infra.postgres else None,
                        "driver": os.getpid(),
                    },
                    own="driver",
                )
                started = time.monotonic()
                await provider.register(
                    admin, emulators, addresses, capture_url=f"http://127.0.0.1:{http_port}"
                )

                async def backfilled() -> bool:
                    return tail.count >= expected

                await _until(backfilled, timeout_sec=1800, interval_sec=0.05, what="backfill")
                backfill_seconds = time.monotonic() - started
                cpu_split = cpu.seconds()
                rate = expected / backfill_seconds
                print(
                    f"capture backfill: {expected} items in {backfill_seconds:.1f}s ({rate:,.0f} items/s)",
                    flush=True,
                )

                control = str(emulators["control_url"])

                async def subscribed() -> bool:
                    return await provider.subscriptions(control) >= 2 * mailboxes

                await _until(subscribed, timeout_sec=300, what="subscriptions for every mailbox")
                tail.decode = True
                latencies = await _webhook_latencies(provider, control, addresses, tail, samples)
            report.set_peak_rss(rss.peak_mb)

        p50 = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=20)[18]
        report.add(Figure("backfill throughput", rate, "items/s", ceiling=raw_rate, min_ratio=0.7))
        report.add(Figure("emulator serving rate (raw client)", raw_rate, "items/s"))
        report.add(Figure("webhook -> activity on Kafka p95", p95, "s", max_value=1.0))
        report.add(Figure("webhook -> activity on Kafka p50", p50, "s"))
        report.note(
            f"{mailboxes} mailboxes x {items} items ({expected} items in scope), page size and concurrency "
            f"({concurrency} pages in flight) the same for the raw client and capture"
        )
        report.note(f"ceiling: {provider.ceiling}")
        report.note(
            "the ceiling is measured before capture starts, so the emulator had the machine to itself then "
            "(apart from the idle broker and database); during the backfill it shares it with capture, "
            "the broker and PostgreSQL"
        )
        report.note(
            f"{len(latencies)} sequential notification samples after the backfill; capture polls every 600 s"
        )
        report.note(
            f"CPU seconds during the {backfill_seconds:.1f} s backfill (2 cores shared): "
            + ", ".join(f"{name} {sec:.1f}" for name, sec in cpu_split.items())
        )
        return report.finish()
    finally:
        if capture is not None:
            terminate(capture, timeout_sec=30)
        if emulator is not None:
            terminate(emulator, sig=signal.SIGTERM, timeout_sec=10)
        infra.stop()


async def _webhook_latencies(
    provider: BenchProvider, control: str, mailboxes: list[str], tail: Tail, samples: int
) -> list[float]:
    latencies: list[float] = []
    for n in range(samples):
        mailbox = mailboxes[(n * 37) % len(mailboxes)]
        known = set(tail.arrivals)
        started = time.monotonic()
        await provider.add_item(control, mailbox)

        async def arrived(known: set[str] = known) -> bool:
            return len(tail.arrivals) > len(known)

        await _until(arrived, timeout_sec=30, interval_sec=0.002, what="notified activity")
        fresh = [t for item, t in tail.arrivals.items() if item not in known]
        latencies.append(min(fresh) - started)
    return latencies
