"""The whole platform on one machine: infrastructure, topics and the three services (`make run`)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from plumbing.embedded import Infrastructure, InfrastructureEndpoints
from plumbing.embedded.mesh_ca import MeshFiles, issue_mesh
from plumbing.kafka.topics import Topics, ensure_topics
from plumbing.supervisor import ServiceProcess, Supervisor
from services.gateway.domain.principal import Role
from services.sandbox.demo.banner import banner_lines
from services.sandbox.demo.capture_settings import demo_capture_env
from services.sandbox.demo.keys import demo_keys, ensure_pepper
from services.sandbox.demo.process import demo_process
from services.sandbox.demo.settings import DEMO_SEED
from services.sandbox.demo.story import story_for
from services.sandbox.emulators.process import emulator_process

_log = logging.getLogger(__name__)


def service_processes(
    endpoints: InfrastructureEndpoints,
    *,
    host: str = "127.0.0.1",
    mesh: MeshFiles,
    gateway_pepper: str = "",
    capture_env: dict[str, str] | None = None,
) -> list[ServiceProcess]:
    """The services in start order, each with the environment that points it at the infrastructure
    and gives it its certificate of the run's mesh CA (mutual TLS between them). Every listener binds
    to `host` (loopback): nothing is reachable from another machine.

    `capture_env` adds capture settings (the demo points it at the provider emulators).
    """
    base_env = {
        **os.environ,
        "DATABASE_URL": endpoints.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap_servers,
        "LOG_JSON": os.environ.get("LOG_JSON", "true"),
        "GT_SCORING_HOST": host,
        "GT_CAPTURE_HOST": host,
        "GT_GATEWAY_HOST": host,
    }
    if endpoints.broker_kind == "tansu":
        base_env["KAFKA_ENABLE_IDEMPOTENCE"] = "false"  # tansu has no InitProducerId
    scoring_http = int(os.environ.get("GT_SCORING_HTTP_PORT", "8082"))
    scoring_grpc = int(os.environ.get("GT_SCORING_GRPC_PORT", "50052"))
    capture_http = int(os.environ.get("GT_CAPTURE_HTTP_PORT", "8081"))
    capture_grpc = int(os.environ.get("GT_CAPTURE_GRPC_PORT", "50053"))
    gateway_http = int(os.environ.get("GT_GATEWAY_HTTP_PORT", "8080"))
    gateway_grpc = int(os.environ.get("GT_GATEWAY_GRPC_PORT", "50051"))
    return [
        ServiceProcess(
            name="scoring",
            args=["-m", "services.scoring"],
            env={
                **base_env,
                **mesh.env("scoring"),
                "GT_SCORING_HTTP_PORT": str(scoring_http),
                "GT_SCORING_GRPC_PORT": str(scoring_grpc),
            },
            ready_url=f"http://{host}:{scoring_http}/readyz",
            endpoints={
                "gRPC ScoringQuery": f"{host}:{scoring_grpc}",
                "health": f"http://{host}:{scoring_http}",
            },
        ),
        ServiceProcess(
            name="capture",
            args=["-m", "services.capture"],
            env={
                **base_env,
                **mesh.env("capture"),
                **(capture_env or {}),
                "GT_CAPTURE_HTTP_PORT": str(capture_http),
                "GT_CAPTURE_GRPC_PORT": str(capture_grpc),
            },
            ready_url=f"http://{host}:{capture_http}/readyz",
            endpoints={
                "gRPC CaptureAdmin": f"{host}:{capture_grpc}",
                "HTTP": f"http://{host}:{capture_http}",
            },
        ),
        ServiceProcess(
            name="gateway",
            args=["-m", "services.gateway"],
            env={
                **base_env,
                **mesh.env("gateway"),
                "GT_GATEWAY_HTTP_PORT": str(gateway_http),
                "GT_GATEWAY_GRPC_PORT": str(gateway_grpc),
                "GT_GATEWAY_SCORING_TARGET": f"{host}:{scoring_grpc}",
                "GT_GATEWAY_CAPTURE_TARGET": f"{host}:{capture_grpc}",
                "GT_GATEWAY_API_KEY_PEPPER": os.environ.get("GT_GATEWAY_API_KEY_PEPPER", gateway_pepper),
            },
            ready_url=f"http://{host}:{gateway_http}/readyz",
            endpoints={
                "REST": f"http://{host}:{gateway_http}/v1",
                "OpenAPI": f"http://{host}:{gateway_http}/docs",
                "Web pages": f"http://{host}:{gateway_http}/app/",
                "gRPC Groundtruth": f"{host}:{gateway_grpc}",
            },
        ),
    ]


def run_platform(run_dir: Path) -> int:
    """Start everything, print where it listens, and stop it all on Ctrl-C or SIGTERM."""
    stop_requested = [False]

    def request_stop(signum: int, _frame: object) -> None:
        stop_requested[0] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    infrastructure = Infrastructure.from_environment(run_dir, allow_tansu_fallback=True)
    supervisor = Supervisor(run_dir)
    try:
        endpoints = infrastructure.start()
        asyncio.run(ensure_topics(endpoints.kafka_bootstrap_servers, Topics()))
        pepper = os.environ.get("GT_GATEWAY_API_KEY_PEPPER") or ensure_pepper(run_dir)
        # A new certificate authority for every run: the services' mutual TLS (plumbing/tls.py).
        mesh = issue_mesh(run_dir / "mesh")
        # The demo: provider emulators holding the demo organisation's mailboxes, which capture reads.
        today = datetime.now(UTC).date()
        emulators = emulator_process(
            run_dir,
            host="127.0.0.1",
            control_port=int(os.environ.get("GT_EMULATORS_CONTROL_PORT", "8090")),
            microsoft_port=int(os.environ.get("GT_EMULATOR_MICROSOFT_PORT", "8443")),
            today=today,
        )
        capture_http = int(os.environ.get("GT_CAPTURE_HTTP_PORT", "8081"))
        capture_env = demo_capture_env(
            run_dir,
            emulator_port=int(os.environ.get("GT_EMULATOR_MICROSOFT_PORT", "8443")),
            capture_http_port=capture_http,
            host="127.0.0.1",
        )
        services = [
            emulators,
            *service_processes(endpoints, mesh=mesh, gateway_pepper=pepper, capture_env=capture_env),
        ]
        for service in services:
            if stop_requested[0]:
                return 0
            print(f"starting {service.name} ...", flush=True)
            supervisor.start(service)
        story = story_for(DEMO_SEED, today)
        team, rep = story.showcase()
        admin, manager_key, rep_key = asyncio.run(
            demo_keys(
                endpoints.database_url,
                pepper,
                [(Role.ADMIN, None), (Role.MANAGER, team.manager_rep_id), (Role.REP, rep.rep_id)],
            )
        )
        admin_key = admin.secret
        crm_env, crm_banner = _start_crm(run_dir, endpoints, pepper, supervisor, services, rep.rep_id)
        # The demo tenant's admin and CRM plugin: sets the tenant up through the gateway, pushes the
        # CRM history and keeps activity coming (services/sandbox/demo).
        demo = demo_process(
            admin_key,
            today=today,
            capture_http_port=capture_http,
            mesh_env=mesh.env("demo"),
            extra_env=crm_env,
        )
        print(f"starting {demo.name} ...", flush=True)
        supervisor.start(demo)
        services.append(demo)
        _print_endpoints(
            endpoints,
            services,
            supervisor,
            password_file=infrastructure.postgres.password_file if infrastructure.postgres else None,
        )
        print(
            "\n".join(
                banner_lines(
                    story,
                    rest_url=_rest_url(),
                    admin_key=admin_key,
                    manager_key=manager_key.secret,
                    rep_key=rep_key.secret,
                )
                + crm_banner
            ),
            flush=True,
        )
        supervisor.watch(services, stop_requested)
        return 0
    finally:
        print("\nstopping ...", flush=True)
        supervisor.stop_all()
        infrastructure.stop()
        print("stopped.", flush=True)


def _start_crm(
    run_dir: Path,
    endpoints: InfrastructureEndpoints,
    pepper: str,
    supervisor: Supervisor,
    services: list[ServiceProcess],
    rep_id: str,
) -> tuple[dict[str, str], list[str]]:
    """`make run CRM=tryton`: a Tryton server holding the demo's records and the Tryton plugin's
    connector (plugins/tryton); returns the demo runner's extra settings and the banner's lines.
    Without CRM the demo pushes its CRM events itself."""
    crm = os.environ.get("GT_CRM", "").strip().lower()
    if not crm:
        return {}, []
    if crm != "tryton":
        raise SystemExit(f"unknown CRM {crm!r}: `make run CRM=tryton`, or no CRM")
    from plugins.tryton.sandbox import run as tryton

    site = tryton.prepare(run_dir)
    (plugin,) = asyncio.run(demo_keys(endpoints.database_url, pepper, [(Role.PLUGIN, None)]))
    gateway_grpc = f"127.0.0.1:{int(os.environ.get('GT_GATEWAY_GRPC_PORT', '50051'))}"
    for service in tryton.processes(site, gateway_grpc_target=gateway_grpc, plugin_key=plugin.secret):
        print(f"starting {service.name} ...", flush=True)
        supervisor.start(service)
        services.append(service)
    return tryton.demo_env(site), tryton.banner_lines(site, rep_id.split("@")[0])


def _print_endpoints(
    endpoints: InfrastructureEndpoints,
    services: list[ServiceProcess],
    supervisor: Supervisor,
    *,
    password_file: Path | None,
) -> None:
    pg = "embedded" if endpoints.embedded_postgres else "external"
    kafka = endpoints.broker_kind if endpoints.embedded_broker else "external"
    lines = [
        "",
        "Groundtruth is running. Ctrl-C stops everything.",
        f"  PostgreSQL ({pg}): {_redact(endpoints.database_url)}"
        + (f"  (password in {password_file})" if password_file else ""),
        f"  Kafka ({kafka}):   {endpoints.kafka_bootstrap_servers}",
    ]
    for service in services:
        for label, where in service.endpoints.items():
            lines.append(f"  {service.name:<8} {label:<18} {where}")
        lines.append(f"  {service.name:<8} {'log':<18} {supervisor.log_path(service.name)}")
    lines.append("")
    print("\n".join(lines), flush=True)


def _rest_url(host: str = "127.0.0.1") -> str:
    return f"http://{host}:{int(os.environ.get('GT_GATEWAY_HTTP_PORT', '8080'))}/v1"


def _redact(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
