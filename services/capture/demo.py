"""`make run`'s demo: capture reads the Microsoft and Google emulators' small seeded organisations.

`demo_capture_env` points capture at the emulators; `register_demo` (after capture is ready) registers
the Microsoft emulator's app and the Google emulator's service account as connections of tenant
"demo", maps the Microsoft mailboxes to rep-1, rep-2, ... and the Google reps to rep-<name>, and
routes the Google emulator's Gmail push (Pub/Sub) to capture.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import grpc
import httpx

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.adapters.secret_box import new_key
from services.emulators.process import google_port

DEMO_TENANT = "demo"
DEMO_DOMAIN = "contoso.example"
DEMO_GOOGLE_DOMAIN = "acme.example"
DEMO_PUBSUB_TOPIC = "projects/groundtruth-emulator/topics/gmail-push"


def demo_capture_env(
    run_dir: Path, *, emulator_port: int, capture_http_port: int, host: str
) -> dict[str, str]:
    """Settings for capture under `make run`. The encryption key is kept in the run directory, so
    connections registered in one run can still be read in the next."""
    key_file = run_dir / "capture-secret.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(new_key())
        key_file.chmod(0o600)
    return {
        "GT_CAPTURE_SECRET_KEYS": key_file.read_text().strip(),
        "GT_CAPTURE_PUBLIC_BASE_URL": f"http://{host}:{capture_http_port}",
        "GT_CAPTURE_MICROSOFT_AUTHORITY_BASE": f"https://{host}:{emulator_port}",
        "GT_CAPTURE_MICROSOFT_GRAPH_BASE_URL": f"https://{host}:{emulator_port}/v1.0",
        "GT_CAPTURE_MICROSOFT_CA_BUNDLE": str(run_dir / "emulators" / "tls" / "ca.pem"),
        "GT_CAPTURE_GOOGLE_TOKEN_URI": f"http://{host}:{google_port()}/token",
        "GT_CAPTURE_GOOGLE_GMAIL_ENDPOINT": f"http://{host}:{google_port()}",
        "GT_CAPTURE_GOOGLE_CALENDAR_ENDPOINT": f"http://{host}:{google_port()}/calendar/v3/",
        "GT_CAPTURE_GOOGLE_PUBSUB_TOPIC": DEMO_PUBSUB_TOPIC,
        "GT_CAPTURE_POLL_INTERVAL_SEC": "60",
    }


def register_demo(capture_target: str, emulators_json: Path) -> list[str]:
    """Register the emulators' organisations with capture; returns the mailboxes now captured."""
    emulators = json.loads(emulators_json.read_text())
    described = emulators["emulators"]["microsoft"]
    org = described["organisations"][0]
    app = org["apps"][0]
    mailboxes = [f"rep{i:04d}@{DEMO_DOMAIN}" for i in range(1, int(org["mailboxes"]) + 1)]
    with grpc.insecure_channel(capture_target) as channel:
        admin = capture_pb2_grpc.CaptureAdminStub(channel)
        admin.SetCapturePolicy(
            capture_pb2.SetCapturePolicyRequest(
                policy=capture_pb2.CapturePolicy(
                    tenant_id=DEMO_TENANT,
                    capture_level=capture_pb2.CAPTURE_LEVEL_SUBJECT,
                    internal_domains=[DEMO_DOMAIN, DEMO_GOOGLE_DOMAIN],
                )
            ),
            timeout=10,
        )
        admin.RegisterMicrosoftConnection(
            capture_pb2.RegisterMicrosoftConnectionRequest(
                tenant_id=DEMO_TENANT,
                connection_id="demo-microsoft",
                directory_tenant_id=org["tenant_id"],
                client_id=app["client_id"],
                client_secret=app["client_secret"],
            ),
            timeout=10,
        )
        admin.UpsertMailboxes(
            capture_pb2.UpsertMailboxesRequest(
                tenant_id=DEMO_TENANT,
                connection_id="demo-microsoft",
                mailboxes=[
                    capture_pb2.MailboxAssignment(address=m, rep_id=f"rep-{n}")
                    for n, m in enumerate(mailboxes, start=1)
                ],
            ),
            timeout=10,
        )
        google = emulators["emulators"].get("google")
        if google is not None:
            mailboxes += _register_google(admin, google)
            capture_http = os.environ.get("GT_CAPTURE_HTTP_PORT", "8081")
            route_gmail_push(str(emulators["control_url"]), f"http://127.0.0.1:{capture_http}")
    return mailboxes


def _register_google(admin: capture_pb2_grpc.CaptureAdminStub, described: dict[str, object]) -> list[str]:
    reps = [str(r) for r in described["reps"]] if isinstance(described["reps"], list) else []
    admin.RegisterGoogleConnection(
        capture_pb2.RegisterGoogleConnectionRequest(
            tenant_id=DEMO_TENANT,
            connection_id="demo-google",
            service_account_key_json=Path(str(described["key_file"])).read_text(),
            workspace_domain=DEMO_GOOGLE_DOMAIN,
        ),
        timeout=10,
    )
    admin.UpsertMailboxes(
        capture_pb2.UpsertMailboxesRequest(
            tenant_id=DEMO_TENANT,
            connection_id="demo-google",
            mailboxes=[
                capture_pb2.MailboxAssignment(address=r, rep_id="rep-" + r.split("@")[0]) for r in reps
            ],
        ),
        timeout=10,
    )
    return reps


def route_gmail_push(control_url: str, capture_base_url: str) -> None:
    """Make the Google emulator's Pub/Sub push subscription deliver Gmail notifications to capture."""
    response = httpx.post(
        f"{control_url}/google/_emulator/pubsub/subscriptions",
        json={"topic": DEMO_PUBSUB_TOPIC, "endpoint": f"{capture_base_url}/webhooks/google/gmail"},
        timeout=10,
        trust_env=False,
    )
    response.raise_for_status()
