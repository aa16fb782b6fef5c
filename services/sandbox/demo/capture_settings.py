"""`make run`'s demo, capture's side: settings pointing capture at the provider emulators, and the
Google emulator's Gmail push routed to capture.

The demo tenant itself (connections, mailboxes, configuration) is set up by `services/sandbox/demo` through
the gateway's admin API, as a real tenant admin would.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from services.capture.adapters.secret_box import new_key
from services.sandbox.emulators.process import google_port

DEMO_PUBSUB_TOPIC = "projects/groundtruth-emulator/topics/gmail-push"
# The demo has 60 days of meetings; capture's calendar window reaches that far back.
DEMO_CALENDAR_DAYS_BACK = 63


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
        "GT_CAPTURE_CALENDAR_DAYS_BACK": str(DEMO_CALENDAR_DAYS_BACK),
        "GT_CAPTURE_POLL_INTERVAL_SEC": "60",
    }


async def route_gmail_push_async(http: httpx.AsyncClient, control_url: str, capture_base_url: str) -> None:
    """Make the Google emulator's Pub/Sub push subscription deliver Gmail notifications to capture."""
    response = await http.post(
        f"{control_url.rstrip('/')}/google/_emulator/pubsub/subscriptions",
        json={"topic": DEMO_PUBSUB_TOPIC, "endpoint": f"{capture_base_url}/webhooks/google/gmail"},
    )
    response.raise_for_status()
