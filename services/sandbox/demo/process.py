"""The demo runner as `make run` starts it (`python -m services.sandbox.demo`, supervised like a service)."""

from __future__ import annotations

import os
from datetime import date

from plumbing.supervisor import ServiceProcess


def demo_process(
    admin_key: str,
    *,
    today: date,
    capture_http_port: int,
    mesh_env: dict[str, str],
    host: str = "127.0.0.1",
    extra_env: dict[str, str] | None = None,
) -> ServiceProcess:
    """The runner with the addresses of everything it talks to, read from the same `GT_*_PORT`
    variables the services listen on; `extra_env` adds settings (the CRM it loads, `make run CRM=`)."""
    http_port = int(os.environ.get("GT_DEMO_HTTP_PORT", "8091"))
    gateway_http = int(os.environ.get("GT_GATEWAY_HTTP_PORT", "8080"))
    gateway_grpc = int(os.environ.get("GT_GATEWAY_GRPC_PORT", "50051"))
    scoring_grpc = int(os.environ.get("GT_SCORING_GRPC_PORT", "50052"))
    control_port = int(os.environ.get("GT_EMULATORS_CONTROL_PORT", "8090"))
    return ServiceProcess(
        name="demo",
        args=["-m", "services.sandbox.demo"],
        env={
            **os.environ,
            **mesh_env,
            "LOG_JSON": os.environ.get("LOG_JSON", "true"),
            "GT_DEMO_ADMIN_KEY": admin_key,
            "GT_DEMO_TODAY": today.isoformat(),
            "GT_DEMO_HTTP_PORT": str(http_port),
            "GT_DEMO_GATEWAY_URL": f"http://{host}:{gateway_http}",
            "GT_DEMO_GATEWAY_GRPC_TARGET": f"{host}:{gateway_grpc}",
            "GT_DEMO_SCORING_TARGET": f"{host}:{scoring_grpc}",
            "GT_DEMO_EMULATORS_CONTROL_URL": f"http://{host}:{control_port}",
            "GT_DEMO_CAPTURE_URL": f"http://{host}:{capture_http_port}",
            **(extra_env or {}),
        },
        ready_url=f"http://{host}:{http_port}/healthz",
        endpoints={"status": f"http://{host}:{http_port}/status"},
    )
