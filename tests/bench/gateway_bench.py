"""`make bench-gateway`: score reads over REST and gRPC against a bare endpoint of the same stack,
and CRM ingest against raw producing, on real PostgreSQL and the real broker.

The gateway runs as its own process (its peak RSS is measured), next to a process with the bare
endpoints and the real scoring service (its own process, on the same PostgreSQL and broker), seeded
with a synthetic organisation of 500 reps x 28 days through the broker and scored before the load.
Targets: gateway reads >= 0.5 x the bare endpoint's
requests/s and p99 < 25 ms at the same concurrency; peak RSS < 250 MB.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.db.migrations import migrate
from plumbing.db.pool import create_pool
from plumbing.embedded import Infrastructure, InfrastructureEndpoints
from plumbing.embedded.mesh_ca import issue_mesh
from plumbing.embedded.process import free_port, spawn, terminate, wait_for_port
from plumbing.kafka.records import protobuf_headers, record_key
from plumbing.kafka.topics import Topics, ensure_topics
from plumbing.tls import MeshTls
from services.gateway.admin import keys
from services.gateway.app import MIGRATIONS, SCHEMA
from services.gateway.domain.principal import Role
from services.sandbox.synthetic.organisation import Organisation, OrganisationSpec
from tests.bench.gateway_load import LoadResult, grpc_load, http_load, http_request
from tests.bench.harness import BenchReport, Figure, RssSampler
from tests.bench.scoring_bench import committed, publish
from tests.integration.conftest import create_database

CONCURRENCY = 8
WARMUP_SEC = 1.0
DURATION_SEC = 5.0
# Ceiling and gateway are measured in alternating short rounds, so a neighbour's load on this shared
# machine hits both alike instead of skewing their ratio.
ROUNDS = 5
ROUND: dict[str, Any] = {"concurrency": CONCURRENCY, "warmup_sec": 0.3, "duration_sec": DURATION_SEC / ROUNDS}
SCORE = "/groundtruth.gateway.v1.Groundtruth/GetRepScore"
# Reads cycle through this many reps (the gateway caches a rep's score for 1 s); the "every read a
# miss" figures ask for a new rep each time, so each one goes to the upstream.
REPS = 500
BENCH_TENANT = "bench"


def reads(make: Callable[[str], bytes], rep_ids: list[str]) -> Callable[[int | None], Callable[[], bytes]]:
    """Reads cycling through the first `reps` scored reps, or (None) a never-cached rep each time."""

    def over(reps: int | None) -> Callable[[], bytes]:
        counter = itertools.count()
        if reps is None:
            # Unknown reps: each read goes to scoring, which answers NOT_FOUND after its lookup.
            return lambda: make(f"rep-unknown-{next(counter)}")
        return lambda: make(rep_ids[next(counter) % reps])

    return over


async def seed_scoring(bootstrap: str, topics: Topics, env: dict[str, str]) -> list[str]:
    """Publish a 500-rep organisation, wait until scoring consumed it all, rescore; the rep ids."""
    org = Organisation(OrganisationSpec(tenant_id=BENCH_TENANT, reps=REPS, days=28))
    published = await publish(bootstrap, topics, org)
    deadline = time.monotonic() + 600
    while await committed(bootstrap, env["GT_SCORING_CONSUMER_GROUP"], topics) < published.events:
        if time.monotonic() > deadline:
            raise RuntimeError("scoring did not consume the seeded organisation within 10 minutes")
        await asyncio.sleep(0.5)
    tls = MeshTls.from_settings(env["GT_TLS_CA_FILE"], env["GT_TLS_CERT_FILE"], env["GT_TLS_KEY_FILE"])
    async with tls.channel(env["GT_GATEWAY_SCORING_TARGET"]) as channel:
        stub = scoring_pb2_grpc.ScoringAdminStub(channel)
        request = scoring_pb2.RescoreTenantRequest(tenant_id=BENCH_TENANT)
        answer = await stub.RescoreTenant(request, timeout=300)
    print(f"seeded scoring: {published.events:,} events, {answer.reps_scored} reps scored", flush=True)
    return [rep.rep_id for rep in org.reps]


async def cache_lookups(port: int) -> dict[str, float]:
    """The gateway's score-cache counters, from its /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("gt_gateway_score_cache_lookups_total{"):
            outcome = line.split('outcome="', 1)[1].split('"', 1)[0]
            counts[outcome] = float(line.rsplit(" ", 1)[1])
    return counts


INGEST_BATCH = 100
INGEST_CONCURRENCY = 4
PEPPER = "bench-pepper-0123456789abcdef"


def _event(i: int) -> dict[str, object]:
    return {
        "type": "record_upserted",
        "object_type": "opportunity",
        "crm_id": f"006-{uuid.uuid4().hex}",
        "owner_rep_id": f"rep-{i % 50}",
        "stage": "Proposal",
        "amount": 1000 + i,
        "modified_at": "2026-11-02T10:00:00Z",
        "fields": {"NextStep": "call"},
    }


async def interleaved(
    ceiling: Callable[[], Awaitable[LoadResult]], measured: Callable[[], Awaitable[LoadResult]]
) -> tuple[LoadResult, LoadResult]:
    """Run both loads in alternating rounds; returns their merged results."""
    await measured()  # warm-up of the path under test (connections, caches)
    merged = (LoadResult(seconds=0.0), LoadResult(seconds=0.0))
    for _ in range(ROUNDS):
        for total, run in zip(merged, (ceiling, measured), strict=True):
            result = await run()
            total.seconds += result.seconds
            total.latencies_ms.extend(result.latencies_ms)
            total.errors += result.errors
    return merged


async def _wait_ready(url: str, timeout_sec: float = 60) -> None:
    deadline = time.monotonic() + timeout_sec
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url, timeout=1)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} not ready")


async def _ingest_load(port: int, key: str) -> LoadResult:
    """Batches of fresh events (content-derived ids differ), each acknowledged by the broker."""
    from tests.bench.gateway_load import HttpConnection, closed_loop

    connections = [HttpConnection("127.0.0.1", port) for _ in range(INGEST_CONCURRENCY)]
    pool: asyncio.Queue[HttpConnection] = asyncio.Queue()
    for c in connections:
        pool.put_nowait(c)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    async def one() -> bool:
        connection = await pool.get()
        try:
            body = json.dumps({"events": [_event(i) for i in range(INGEST_BATCH)]}).encode()
            return await connection.send(http_request("POST", "/v1/crm/events", headers, body))
        finally:
            pool.put_nowait(connection)

    result = await closed_loop(
        one, concurrency=INGEST_CONCURRENCY, warmup_sec=WARMUP_SEC, duration_sec=DURATION_SEC
    )
    for c in connections:
        c.close()
    return result


async def _raw_produce(bootstrap: str, topic: str) -> float:
    """Events/s of the same payloads sent straight to the broker (acks=all), batch by batch."""
    from tests.bench.gateway_load import closed_loop

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    event = crm_pb2.CrmEvent(
        tenant_id="bench",
        rep_id="rep-1",
        event_id="x",
        record_upserted=crm_pb2.RecordUpserted(crm_id="006", stage="Proposal"),
    )
    headers = protobuf_headers(event)

    async def one() -> bool:
        futures = [
            await producer.send(
                topic,
                key=record_key("bench", f"rep-{i % 50}"),
                value=event.SerializeToString(),
                headers=headers,
            )
            for i in range(INGEST_BATCH)
        ]
        await asyncio.gather(*futures)
        return True

    try:
        result = await closed_loop(
            one, concurrency=INGEST_CONCURRENCY, warmup_sec=WARMUP_SEC, duration_sec=DURATION_SEC
        )
    finally:
        await producer.stop()
    return result.per_second * INGEST_BATCH


async def bench(endpoints: InfrastructureEndpoints, run_dir: Path) -> bool:
    database_url = await create_database(endpoints.database_url)
    topics = Topics(namespace=f"bench{uuid.uuid4().hex[:6]}.")
    await ensure_topics(endpoints.kafka_bootstrap_servers, topics)
    ports = {
        name: free_port()
        for name in ("scoring_grpc", "scoring_http", "capture", "bare_http", "bare_grpc", "http", "grpc")
    }
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": topics.namespace,
        "LOG_LEVEL": "WARNING",
        "GT_GATEWAY_HOST": "127.0.0.1",
        "GT_GATEWAY_HTTP_PORT": str(ports["http"]),
        "GT_GATEWAY_GRPC_PORT": str(ports["grpc"]),
        "GT_GATEWAY_SCORING_TARGET": f"127.0.0.1:{ports['scoring_grpc']}",
        # Score reads never call capture; nothing listens there.
        "GT_GATEWAY_CAPTURE_TARGET": f"127.0.0.1:{ports['capture']}",
        "GT_SCORING_GRPC_PORT": str(ports["scoring_grpc"]),
        "GT_SCORING_HTTP_PORT": str(ports["scoring_http"]),
        "GT_SCORING_CONSUMER_GROUP": f"scoring-{uuid.uuid4().hex[:6]}",
        "GT_SCORING_RESCORE_INTERVAL_SEC": "3600",
        "GT_GATEWAY_API_KEY_PEPPER": PEPPER,
        # The benchmark measures throughput, not the per-key limit (50/s by default).
        "GT_GATEWAY_RATE_LIMIT_PER_SEC": "1000000",
        "GT_GATEWAY_RATE_LIMIT_BURST": "1000000",
        # Internal gRPC over mutual TLS, as in production (one identity for every bench process).
        **issue_mesh(run_dir / "mesh", services=("bench",)).env("bench"),
    }
    logs = run_dir / "logs"
    module = [sys.executable, "-m"]
    upstream = spawn([*module, "services.scoring"], log_path=logs / "scoring.log", env=env)
    bare = spawn(
        [*module, "tests.bench.gateway_servers", "bare", str(ports["bare_http"]), str(ports["bare_grpc"])],
        log_path=logs / "bare.log",
        env=env,
    )
    await migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)  # before the key seeding below
    gateway = spawn(
        [
            sys.executable,
            *(["-m", "cProfile", "-o", os.environ["GW_PROFILE"]] if os.environ.get("GW_PROFILE") else []),
            "-m",
            "services.gateway",
        ],
        log_path=logs / "gateway.log",
        env=env,
    )
    processes = [upstream, bare, gateway]
    try:
        await _wait_ready(f"http://127.0.0.1:{ports['scoring_http']}/readyz")
        await _wait_ready(f"http://127.0.0.1:{ports['http']}/readyz")
        rep_ids = await seed_scoring(endpoints.kafka_bootstrap_servers, topics, env)
        wait_for_port("127.0.0.1", ports["bare_http"], timeout_sec=30, process=bare)
        pool = await create_pool(database_url, schema="gateway", min_size=1, max_size=2)
        await keys.create_tenant(pool, pepper=PEPPER.encode(), tenant_id=BENCH_TENANT, name="Bench")
        plugin = await keys.issue_key(
            pool,
            pepper=PEPPER.encode(),
            tenant_id=BENCH_TENANT,
            name="bench",
            role=Role.PLUGIN,
            rep_id=None,
            created_by="bench",
        )
        await pool.close()
        auth = {"Authorization": f"Bearer {plugin.plaintext}"}
        metadata = (("authorization", f"Bearer {plugin.plaintext}"),)

        with RssSampler(gateway.pid, include_children=False) as rss:
            rest_reads = reads(lambda rep: http_request("GET", f"/v1/reps/{rep}/score", auth), rep_ids)
            grpc_reads = reads(
                lambda rep: gateway_pb2.GetRepScoreRequest(rep_id=rep).SerializeToString(), rep_ids
            )
            bare_rest, rest = await interleaved(
                lambda: http_load(ports["bare_http"], lambda: http_request("GET", "/bare", {}), **ROUND),
                lambda: http_load(ports["http"], rest_reads(REPS), **ROUND),
            )
            bare_grpc, grpc = await interleaved(
                lambda: grpc_load(
                    f"127.0.0.1:{ports['bare_grpc']}", "/bench.Bare/Ping", lambda: b"", (), **ROUND
                ),
                lambda: grpc_load(f"127.0.0.1:{ports['grpc']}", SCORE, grpc_reads(REPS), metadata, **ROUND),
            )
            hits_before = await cache_lookups(ports["http"])
            rest_misses = await http_load(ports["http"], rest_reads(None), not_found_ok=True, **ROUND)
            grpc_misses = await grpc_load(
                f"127.0.0.1:{ports['grpc']}", SCORE, grpc_reads(None), metadata, not_found_ok=True, **ROUND
            )
            hits_after = await cache_lookups(ports["http"])
            ingest = await _ingest_load(ports["http"], plugin.plaintext)
        raw_events_per_sec = await _raw_produce(endpoints.kafka_bootstrap_servers, topics.crm_events)
    finally:
        for process in processes:
            terminate(process)

    report = BenchReport("gateway")
    for label, measured, ceiling in (("REST", rest, bare_rest), ("gRPC", grpc, bare_grpc)):
        report.add(
            Figure(
                f"{label} score reads",
                measured.per_second,
                "req/s",
                ceiling=ceiling.per_second,
                min_ratio=0.5,
            )
        )
        report.add(Figure(f"{label} score reads p50", measured.percentile(50), "ms"))
        report.add(Figure(f"{label} score reads p99", measured.percentile(99), "ms", max_value=25.0))
        report.add(Figure(f"{label} bare p50", ceiling.percentile(50), "ms"))
        report.add(Figure(f"{label} bare p99", ceiling.percentile(99), "ms"))
        errors = measured.errors + ceiling.errors
        if errors:
            report.note(f"{label}: {errors} requests failed (not counted)")
    for label, misses, ceiling in (("REST", rest_misses, bare_rest), ("gRPC", grpc_misses, bare_grpc)):
        report.add(
            Figure(
                f"{label} score reads, every read a miss",
                misses.per_second,
                "req/s",
                ceiling=ceiling.per_second,
            )
        )
        report.add(Figure(f"{label} score reads, every read a miss, p99", misses.percentile(99), "ms"))
    report.add(Figure("CRM ingest", ingest.per_second * INGEST_BATCH, "events/s", ceiling=raw_events_per_sec))
    report.add(Figure("CRM ingest batch p99", ingest.percentile(99), "ms"))
    report.set_peak_rss(rss.peak_mb)
    report.note(
        f"closed loop, {CONCURRENCY} concurrent requests, {DURATION_SEC:g} s after {WARMUP_SEC:g} s warm-up; "
        "load generator, gateway, bare server and upstream share this machine's cores"
    )
    report.note(
        f"upstream: the real scoring service (own process) holding {REPS} scored reps of a synthetic "
        "organisation (28 days), seeded through the broker before the load"
    )
    report.note(
        f"ceilings: a trivial FastAPI route and a trivial grpc.aio method on the same server stack; "
        f"ingest: the same number of events produced straight to the broker (acks=all) in batches of "
        f"{INGEST_BATCH}, {INGEST_CONCURRENCY} at a time"
    )
    report.note("peak RSS: the gateway process alone, during the read and ingest load")
    misses_during = hits_after.get("miss", 0) - hits_before.get("miss", 0)
    report.note(
        f"score reads cycle through {REPS} reps with the gateway's 1 s score cache on (its counters "
        f"before the miss runs: {hits_before}); the 'every read a miss' runs asked for an unknown rep each "
        f"time, which scoring looks up and answers NOT_FOUND ({misses_during:.0f} upstream calls); "
        "they have no target"
    )
    return report.finish()


def main() -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="gt-bench-gateway-"))
    with Infrastructure.from_environment(run_dir, durable=False) as endpoints:
        return 0 if asyncio.run(bench(endpoints, run_dir)) else 1


if __name__ == "__main__":
    sys.exit(main())
