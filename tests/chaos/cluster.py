"""The platform as real OS processes on private embedded infrastructure, with handles to hurt it.

One `ChaosCluster` owns its own PostgreSQL server and Apache Kafka broker (never the test session's
shared ones: the scenarios stop, kill and pause them), the provider emulators, and scoring, capture and the
gateway, each started the way `make run` starts them (`python -m services.<name>`), on free loopback
ports, with their logs under `<run_dir>/logs`. It is the supervisor here: a service that died without
being told to is counted in `unexpected_exits` and started again.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from plumbing.db.pool import create_pool
from plumbing.embedded import Infrastructure, InfrastructureEndpoints
from plumbing.embedded.kafka import EmbeddedKafka
from plumbing.embedded.mesh_ca import issue_mesh
from plumbing.embedded.process import free_port, spawn, terminate
from plumbing.kafka.topics import Topics, ensure_topics
from services.capture.adapters.secret_box import new_key
from services.gateway.adapters import key_store
from services.gateway.admin import keys
from services.gateway.app import SCHEMA as GATEWAY_SCHEMA
from services.gateway.domain.principal import Role

PEPPER = "chaos-pepper-not-a-secret-0123456789"
TENANT = "acme"  # the tenant the workload runs as, in capture, scoring and the gateway
SERVICES = ("scoring", "capture", "gateway")


@dataclass
class Service:
    name: str
    args: list[str]
    env: dict[str, str]
    http_port: int
    grpc_port: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/readyz"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid


@dataclass
class Emulators:
    process: subprocess.Popen[bytes]
    control_url: str
    description: dict[str, object]


@dataclass
class ChaosCluster:
    """Start with `start()`, stop with `stop()`; `services[name]` for scoring, capture and gateway."""

    run_dir: Path
    mailboxes: int = 4
    # Seeded in the emulator but registered only by a scenario that needs a fresh backfill.
    reserve_mailboxes: int = 2
    items_per_mailbox: int = 40
    capture_page_size: int = 5
    poll_interval_sec: float = 2.0
    emulator_latency_sec: float = 0.02
    infrastructure: Infrastructure = field(init=False)
    endpoints: InfrastructureEndpoints = field(init=False)
    emulators: Emulators = field(init=False)
    services: dict[str, Service] = field(default_factory=dict)
    unexpected_exits: list[str] = field(default_factory=list)
    admin_key: str = ""
    plugin_key: str = ""

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # Never the environment's DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS: the faults need our own.
        self.infrastructure = Infrastructure(self.run_dir, durable=False)
        self.endpoints = self.infrastructure.start()
        try:
            asyncio.run(ensure_topics(self.endpoints.kafka_bootstrap_servers, Topics()))
            self._start_emulators()
            self._define_services()
            for name in SERVICES:
                self.start_service(name)
            self.admin_key, self.plugin_key = asyncio.run(self._issue_keys())
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            if service.process is not None:
                terminate(service.process, timeout_sec=15)
                service.process = None
        if getattr(self, "emulators", None) is not None:
            terminate(self.emulators.process, timeout_sec=10)
        if getattr(self, "infrastructure", None) is not None:
            self.infrastructure.stop()

    @property
    def database_url(self) -> str:
        return self.endpoints.database_url

    @property
    def bootstrap_servers(self) -> str:
        return self.endpoints.kafka_bootstrap_servers

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.services['gateway'].http_port}"

    @property
    def capture_url(self) -> str:
        return f"http://127.0.0.1:{self.services['capture'].http_port}"

    def grpc_target(self, name: str) -> str:
        return f"127.0.0.1:{self.services[name].grpc_port}"

    # --- processes ------------------------------------------------------------------------------

    def _start_emulators(self) -> None:
        state = self.run_dir / "emulators"
        control_port = free_port()
        process = spawn(
            [
                sys.executable, "-m", "services.sandbox.emulators", "--state-dir", str(state),
                "--profile", "seeded", "--host", "127.0.0.1", "--control-port", str(control_port),
                "--port", f"microsoft={free_port()}", "--port", f"google={free_port()}",
                "--mailboxes", str(self.mailboxes + self.reserve_mailboxes),
                "--items", str(self.items_per_mailbox),
            ],
            log_path=self.run_dir / "logs" / "emulators.log",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            death_signal=signal.SIGKILL,
        )  # fmt: skip
        control_url = f"http://127.0.0.1:{control_port}"
        # The description file is written just after the control server starts answering.
        ready = lambda: _http_ok(f"{control_url}/healthz") and (state / "emulators.json").exists()  # noqa: E731
        _wait_until(ready, 60, f"emulators (state {state})", process)
        description = json.loads((state / "emulators.json").read_text())
        self.emulators = Emulators(process, control_url, description)
        httpx.post(
            f"{control_url}/microsoft/faults/latency", json={"seconds": self.emulator_latency_sec}
        ).raise_for_status()

    def _define_services(self) -> None:
        base = {
            **os.environ,
            "DATABASE_URL": self.endpoints.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.endpoints.kafka_bootstrap_servers,
            "KAFKA_TOPIC_NAMESPACE": "",
            # A SIGKILLed consumer keeps its partitions until its session expires.
            "KAFKA_SESSION_TIMEOUT_MS": "3000",
            "LOG_JSON": "true",
            "LOG_LEVEL": "INFO",
        }
        ports = {name: (free_port(), free_port()) for name in SERVICES}
        # The services' mutual TLS, as `make run` sets it up: a CA of this run, a certificate each.
        self.mesh = issue_mesh(self.run_dir / "mesh")
        microsoft = _described(self.emulators.description, "microsoft")
        scoring = Service(
            "scoring",
            ["-m", "services.scoring"],
            {
                **base,
                **self.mesh.env("scoring"),
                "GT_SCORING_HOST": "127.0.0.1",
                "GT_SCORING_HTTP_PORT": str(ports["scoring"][0]),
                "GT_SCORING_GRPC_PORT": str(ports["scoring"][1]),
                "GT_SCORING_MAX_BATCH_TIME_MS": "100",
                "GT_SCORING_RESCORE_INTERVAL_SEC": "1",
            },
            *ports["scoring"],
        )
        capture = Service(
            "capture",
            ["-m", "services.capture"],
            {
                **base,
                **self.mesh.env("capture"),
                "GT_CAPTURE_HOST": "127.0.0.1",
                "GT_CAPTURE_HTTP_PORT": str(ports["capture"][0]),
                "GT_CAPTURE_GRPC_PORT": str(ports["capture"][1]),
                "GT_CAPTURE_SECRET_KEYS": new_key(),
                "GT_CAPTURE_MICROSOFT_AUTHORITY_BASE": str(microsoft["authority_base"]),
                "GT_CAPTURE_MICROSOFT_GRAPH_BASE_URL": str(microsoft["graph_base_url"]),
                "GT_CAPTURE_MICROSOFT_CA_BUNDLE": str(self.emulators.description["ca_bundle"]),
                "GT_CAPTURE_MICROSOFT_PAGE_SIZE": str(self.capture_page_size),
                "GT_CAPTURE_POLL_INTERVAL_SEC": str(self.poll_interval_sec),
                # Long enough that a mailbox wrongly parked in `error` by an infrastructure fault shows
                # in the recovery time; revoked credentials are retried at this pace.
                "GT_CAPTURE_ERROR_RETRY_SEC": "20",
                "GT_CAPTURE_MAILBOX_REFRESH_SEC": "1",
                "GT_CAPTURE_BACKOFF_INITIAL_SEC": "0.2",
                "GT_CAPTURE_BACKOFF_MAX_SEC": "2",
            },
            *ports["capture"],
        )
        gateway = Service(
            "gateway",
            ["-m", "services.gateway"],
            {
                **base,
                **self.mesh.env("gateway"),
                "GT_GATEWAY_HOST": "127.0.0.1",
                "GT_GATEWAY_HTTP_PORT": str(ports["gateway"][0]),
                "GT_GATEWAY_GRPC_PORT": str(ports["gateway"][1]),
                "GT_GATEWAY_SCORING_TARGET": f"127.0.0.1:{ports['scoring'][1]}",
                "GT_GATEWAY_CAPTURE_TARGET": f"127.0.0.1:{ports['capture'][1]}",
                "GT_GATEWAY_API_KEY_PEPPER": PEPPER,
                "GT_GATEWAY_RATE_LIMIT_PER_SEC": "1000",
                "GT_GATEWAY_RATE_LIMIT_BURST": "2000",
            },
            *ports["gateway"],
        )
        self.services = {s.name: s for s in (scoring, capture, gateway)}

    def start_service(self, name: str, *, wait_ready: bool = True, timeout_sec: float = 60.0) -> None:
        service = self.services[name]
        service.process = spawn(
            [sys.executable, *service.args],
            log_path=self.run_dir / "logs" / f"{name}.log",
            env=service.env,
            death_signal=signal.SIGKILL,
        )
        service.starts += 1
        if wait_ready:
            self.wait_ready(name, timeout_sec=timeout_sec)

    def wait_ready(self, name: str, *, timeout_sec: float = 60.0) -> float:
        """Block until the service's /readyz answers 200; returns the seconds it took."""
        service = self.services[name]
        started = time.monotonic()
        _wait_until(lambda: self.ready(name), timeout_sec, f"{name} readiness", service.process)
        return time.monotonic() - started

    def ready(self, name: str) -> bool:
        return _http_ok(self.services[name].ready_url)

    def readiness_checks(self, name: str) -> dict[str, bool]:
        """The /readyz checks of the service, or {} when it does not answer."""
        try:
            body = httpx.get(self.services[name].ready_url, timeout=3).json()
        except (httpx.HTTPError, ValueError):
            return {}
        return {str(k): bool(v) for k, v in dict(body.get("checks", {})).items()}

    def kill(self, name: str) -> None:
        """SIGKILL: no drain, no commit, no goodbye."""
        service = self.services[name]
        assert service.process is not None
        service.process.send_signal(signal.SIGKILL)
        service.process.wait(timeout=10)
        service.process = None

    def ensure_running(self) -> None:
        """Restart any service that exited on its own (a crash the report must show)."""
        for name, service in self.services.items():
            if service.process is not None and service.process.poll() is not None:
                self.unexpected_exits.append(f"{name} exited with {service.process.returncode}")
                service.process = None
                self.start_service(name)

    # --- infrastructure faults ------------------------------------------------------------------

    def pause_broker(self) -> None:
        assert self.infrastructure.broker is not None
        self.infrastructure.broker.pause()

    def resume_broker(self) -> None:
        assert self.infrastructure.broker is not None
        self.infrastructure.broker.resume()

    def kill_broker(self) -> None:
        """SIGKILL Apache Kafka: a crash, with whatever it had not flushed left in the page cache."""
        assert isinstance(self.infrastructure.broker, EmbeddedKafka)
        self.infrastructure.broker.kill()

    def restart_broker(self) -> None:
        """Start the killed broker again on the same log dirs and port (it recovers its logs)."""
        assert isinstance(self.infrastructure.broker, EmbeddedKafka)
        self.infrastructure.broker.start()

    def stop_postgres(self) -> None:
        assert self.infrastructure.postgres is not None
        self.infrastructure.postgres.stop()

    def start_postgres(self) -> None:
        assert self.infrastructure.postgres is not None
        self.infrastructure.postgres.start()

    # --- bootstrap ------------------------------------------------------------------------------

    async def _issue_keys(self) -> tuple[str, str]:
        pool = await create_pool(self.database_url, schema=GATEWAY_SCHEMA, min_size=1, max_size=2)
        try:
            await key_store.create_tenant(pool, tenant_id=TENANT, name="Chaos")
            issued = []
            for role in (Role.ADMIN, Role.PLUGIN):
                created = await keys.issue_key(
                    pool,
                    pepper=PEPPER.encode(),
                    tenant_id=TENANT,
                    name=f"chaos {role.value}",
                    role=role,
                    rep_id=None,
                    created_by="chaos",
                )
                issued.append(created.plaintext)
            return issued[0], issued[1]
        finally:
            await pool.close()


def _described(description: dict[str, object], name: str) -> dict[str, object]:
    emulators = description["emulators"]
    assert isinstance(emulators, dict)
    found = emulators[name]
    assert isinstance(found, dict)
    return found


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_until(
    condition: Callable[[], bool], timeout_sec: float, what: str, process: subprocess.Popen[bytes] | None
) -> None:
    deadline = time.monotonic() + timeout_sec
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}")
        if condition():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what}: not reached after {timeout_sec}s")
