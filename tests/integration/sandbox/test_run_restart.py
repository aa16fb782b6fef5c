"""`make run` keeps its data across restarts: Ctrl-C, start again on the same run directory, and the
topics, their records, the consumer group's committed offsets and the captured activity are all still
there (Apache Kafka's log dirs and PostgreSQL's data live under the run directory). And nothing it
starts listens on anything but loopback: no port of it is reachable from another machine."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from plumbing.embedded.process import free_port
from plumbing.kafka.topics import ALL_TOPICS, Topics
from tests.conftest import eventually
from tests.kafka_topics import partitions_of

pytestmark = pytest.mark.integration
PORTS = (
    "GT_SCORING_HTTP_PORT", "GT_SCORING_GRPC_PORT", "GT_CAPTURE_HTTP_PORT", "GT_CAPTURE_GRPC_PORT",
    "GT_GATEWAY_HTTP_PORT", "GT_GATEWAY_GRPC_PORT", "GT_EMULATORS_CONTROL_PORT",
    "GT_EMULATOR_MICROSOFT_PORT", "GT_EMULATOR_GOOGLE_PORT", "GT_DEMO_HTTP_PORT",
)  # fmt: skip
CAPTURED = Topics().activity_captured


@dataclass
class Run:
    process: subprocess.Popen[str]
    database_url: str
    bootstrap_servers: str
    output: list[str]
    reader: threading.Thread


def start(run_dir: Path, env: dict[str, str], *, timeout_sec: float = 240) -> Run:
    """`python -m services.sandbox run` (what `make run` calls), once it printed where everything listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "services.sandbox", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=run_dir.parent,
    )
    assert process.stdout is not None
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "Groundtruth is running" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(timeout_sec):
        process.kill()
        process.wait()
        process.stdout.close()
        raise AssertionError("make run did not come up:\n" + "".join(output[-40:]))
    time.sleep(0.5)  # the endpoint lines follow the heading
    text = "".join(output)
    database = re.search(r"PostgreSQL \(embedded\): (\S+)", text)
    kafka = re.search(r"Kafka \(Apache Kafka\):\s+(\S+)", text)
    assert database and kafka, text
    password = (run_dir / "postgres.password").read_text().strip()
    database_url = database.group(1).replace(":***@", f":{password}@")
    return Run(process, database_url, kafka.group(1), output, reader)


def listening_sockets(run: Run) -> dict[str, list[str]]:
    """Every listening TCP socket of `make run`'s process tree (services, emulators, demo runner,
    Kafka, PostgreSQL), as process name -> addresses."""
    root = psutil.Process(run.process.pid)
    found: dict[str, list[str]] = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            connections = process.net_connections(kind="tcp")
            name = " ".join(process.cmdline()[:3])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        for connection in connections:
            if connection.status == psutil.CONN_LISTEN:
                found.setdefault(name, []).append(f"{connection.laddr.ip}:{connection.laddr.port}")
    return found


def is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0]
    return host.startswith("127.") or host in ("::1", "::ffff:127.0.0.1")


def stop(run: Run) -> None:
    """Ctrl-C, as in the terminal; everything must stop cleanly."""
    run.process.send_signal(signal.SIGINT)
    code = run.process.wait(timeout=120)
    run.reader.join(timeout=10)
    assert run.process.stdout is not None
    run.process.stdout.close()
    assert code == 0, "".join(run.output[-40:])


@dataclass(frozen=True)
class Snapshot:
    topics: set[str]
    ends: dict[int, int]  # end offset per partition of the captured-activity topic
    committed: dict[int, int]  # scoring's committed offset per partition of it
    activities: int


async def snapshot(run: Run) -> Snapshot:
    admin = AIOKafkaAdminClient(bootstrap_servers=run.bootstrap_servers)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
    finally:
        await admin.close()
    partitions = await partitions_of(run.bootstrap_servers, CAPTURED)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=run.bootstrap_servers, group_id="scoring", enable_auto_commit=False
    )
    await consumer.start()
    try:
        ends = {tp.partition: offset for tp, offset in (await consumer.end_offsets(partitions)).items()}
        committed = {tp.partition: (await consumer.committed(tp)) or 0 for tp in partitions}
    finally:
        await consumer.stop()
    conn = await asyncpg.connect(run.database_url)
    try:
        activities = int(await conn.fetchval("SELECT count(*) FROM scoring.activities"))
    finally:
        await conn.close()
    return Snapshot(topics, ends, committed, activities)


async def test_topics_offsets_and_captured_activity_survive_a_restart(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    env |= {name: str(free_port()) for name in PORTS} | {"GT_RUN_DIR": str(run_dir), "LOG_JSON": "true"}

    first = start(run_dir, env)
    try:

        async def captured_and_consumed() -> bool:
            seen = await snapshot(first)
            return seen.activities > 0 and sum(seen.committed.values()) > 0

        await eventually(captured_and_consumed, timeout_sec=180, interval_sec=1)
        before = await snapshot(first)
        listening = listening_sockets(first)
        ports = {int(address.rsplit(":", 1)[1]) for addresses in listening.values() for address in addresses}
        # Every service's HTTP and gRPC port is among them (the check sees the real listeners)...
        assert {int(env[name]) for name in PORTS if "GOOGLE" not in name} <= ports, listening
        # ...and none is bound to a wildcard or a non-loopback address.
        exposed = {
            name: [a for a in addresses if not is_loopback(a)] for name, addresses in listening.items()
        }
        assert not any(exposed.values()), f"listeners reachable from other machines: {exposed}"
    finally:
        stop(first)

    second = start(run_dir, env)
    try:
        assert second.bootstrap_servers == first.bootstrap_servers, "the broker moved to another port"
        after = await snapshot(second)
    finally:
        stop(second)
    assert {Topics().name(spec) for spec in ALL_TOPICS} <= after.topics
    assert all(after.ends[p] >= end for p, end in before.ends.items()), (before.ends, after.ends)
    assert all(after.committed[p] >= c for p, c in before.committed.items()), (before, after)
    assert after.activities >= before.activities > 0
