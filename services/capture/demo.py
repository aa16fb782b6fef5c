"""`make run`'s demo: capture reads the Microsoft emulator's small seeded organisation.

`demo_capture_env` points capture at the emulator; `register_demo` (after capture is ready) registers
the emulator's app as a connection of tenant "demo" and maps its mailboxes to rep-1, rep-2, ...
"""

from __future__ import annotations

import json
from pathlib import Path

import grpc

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.adapters.secret_box import new_key

DEMO_TENANT = "demo"
DEMO_DOMAIN = "contoso.example"


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
        "GT_CAPTURE_POLL_INTERVAL_SEC": "60",
    }


def register_demo(capture_target: str, emulators_json: Path) -> list[str]:
    """Register the emulator's organisation with capture; returns the mailboxes now captured."""
    described = json.loads(emulators_json.read_text())["emulators"]["microsoft"]
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
                    internal_domains=[DEMO_DOMAIN],
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
    return mailboxes
