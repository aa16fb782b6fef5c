"""Tryton under `make run CRM=tryton`: the server and the connector as supervised processes.

`prepare(run_dir)` creates the database once (`GT_RUN_DIR/tryton/demo.sqlite`, about 25 s; kept across
restarts like the platform's PostgreSQL data); `processes(...)` are trytond (serving the web client)
and the connector. The demo runner fills Tryton with the demo organisation through its API.
"""

from __future__ import annotations

import os
from pathlib import Path

from plugins.tryton.sandbox import demo
from plugins.tryton.sandbox.seed import INTEGRATION_LOGIN
from plugins.tryton.sandbox.server import ADMIN_LOGIN, TrytonSite, sao_root
from plumbing.supervisor import ServiceProcess

DATABASE = "demo"


def site(run_dir: Path, host: str = "127.0.0.1") -> TrytonSite:
    return TrytonSite(run_dir / "tryton", DATABASE, int(os.environ.get("GT_TRYTON_PORT", "8000")), host)


def prepare(run_dir: Path) -> TrytonSite:
    """The demo's Tryton site, its database created on the first start."""
    tryton = site(run_dir)
    tryton.write_config()
    if not tryton.database_path.exists() or tryton.database_path.stat().st_size == 0:
        print("creating the Tryton database (once, about 25 s) ...", flush=True)
        tryton.create_database(admin_password=demo.ADMIN_PASSWORD)
    return tryton


def processes(tryton: TrytonSite, *, gateway_grpc_target: str, plugin_key: str) -> list[ServiceProcess]:
    connector_port = int(os.environ.get("GT_TRYTON_CONNECTOR_PORT", "8092"))
    server = ServiceProcess(
        name="tryton",
        args=["-c", "import sys; from trytond.cli import main; sys.argv[0] = 'trytond'; main()",
              *tryton.process_args()[1:]],
        env={**os.environ},
        ready_url=f"{tryton.url}/",
        endpoints={"web client": f"{tryton.url}/" if sao_root() else "(no sao: make install needs npm)",
                   "JSON-RPC": f"{tryton.url}/{tryton.database}/rpc/"},
    )  # fmt: skip
    connector = ServiceProcess(
        name="connector",
        args=["-m", "plugins.tryton.connector"],
        env={
            **os.environ,
            "GT_TRYTON_URL": tryton.url,
            "GT_TRYTON_DATABASE": tryton.database,
            "GT_TRYTON_USER": INTEGRATION_LOGIN,
            "GT_TRYTON_PASSWORD": demo.INTEGRATION_PASSWORD,
            "GT_TRYTON_GATEWAY_TARGET": gateway_grpc_target,
            "GT_TRYTON_API_KEY": plugin_key,
            "GT_TRYTON_MAX_BACKOFF_SEC": "5",  # the demo user appears a few seconds after the start
            "GT_TRYTON_SCORES_INTERVAL_SEC": "15",
            "GT_TRYTON_HTTP_PORT": str(connector_port),
        },
        ready_url=f"http://127.0.0.1:{connector_port}/healthz",
        endpoints={"status": f"http://127.0.0.1:{connector_port}/status"},
    )
    return [server, connector]


def demo_env(tryton: TrytonSite) -> dict[str, str]:
    """What the demo runner needs to load the organisation into Tryton."""
    return {
        "GT_DEMO_CRM": "tryton",
        "GT_DEMO_TRYTON_URL": tryton.url,
        "GT_DEMO_TRYTON_DATABASE": tryton.database,
        "GT_DEMO_TRYTON_ADMIN_PASSWORD": demo.ADMIN_PASSWORD,
    }


def banner_lines(tryton: TrytonSite, rep_login: str) -> list[str]:
    return [
        "",
        f"  Tryton is the CRM: open {tryton.url}/ (database '{tryton.database}'), log in as '{rep_login}' "
        f"(password '{demo.REP_PASSWORD}') or '{ADMIN_LOGIN}' ('{demo.ADMIN_PASSWORD}');",
        "  Sales > Leads and Opportunities > any opportunity > tab 'Activities (Groundtruth)' shows the",
        "  captured meetings and e-mails; Sales > Adoption Scores and each employee show the scores.",
    ]
