"""Graph's change-notification and lifecycle endpoints (PROVIDERS.md §3), served by capture.

Both answer the validation handshake (echo the URL-decoded `validationToken` as text/plain) and
otherwise hand each notification to the `NotificationSink`, which only queues work, and answer 202
at once: well inside Graph's 3-second deadline. A notification whose clientState does not match is
dropped but still answered 202, as Graph recommends (no retry storm, nothing learned by a forger).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from services.capture.ports import LifecycleEvent, NotificationSink

NOTIFICATION_PATH = "/webhooks/microsoft/notifications"
LIFECYCLE_PATH = "/webhooks/microsoft/lifecycle"
MAX_BODY_BYTES = 1_000_000
_log = logging.getLogger(__name__)
NOTIFICATIONS = Counter(
    "gt_capture_notifications_total",
    "Change and lifecycle notifications received",
    ["provider", "kind", "outcome"],
)


async def _notifications(request: Request) -> list[dict[str, Any]] | Response:
    """The `value` array, or the response to send instead (validation echo, or a client error)."""
    token = request.query_params.get("validationToken")
    if token is not None:
        return PlainTextResponse(token, status_code=200)
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        return PlainTextResponse("notification body too large", status_code=413)
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return PlainTextResponse("notification body too large", status_code=413)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for the decoder
        return PlainTextResponse("body is not JSON", status_code=400)
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, list):
        return PlainTextResponse("body has no 'value' array", status_code=400)
    return [n for n in value if isinstance(n, dict)]


def _handler(kind: str, deliver: Callable[[dict[str, Any]], bool]) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        parsed = await _notifications(request)
        if isinstance(parsed, Response):
            return parsed
        for notification in parsed:
            accepted = deliver(notification)
            NOTIFICATIONS.labels("microsoft", kind, "accepted" if accepted else "rejected").inc()
            if not accepted:
                _log.warning(
                    "notification dropped: unknown subscription or clientState mismatch",
                    extra={"subscription_id": str(notification.get("subscriptionId", ""))[:64]},
                )
        return Response(status_code=202)

    return handle


def webhook_routes(sink: NotificationSink) -> list[BaseRoute]:
    def changed(n: dict[str, Any]) -> bool:
        return sink.changed(str(n.get("subscriptionId", "")), _state(n))

    def lifecycle(n: dict[str, Any]) -> bool:
        try:
            event = LifecycleEvent(str(n.get("lifecycleEvent", "")))
        except ValueError:
            return False
        return sink.lifecycle(str(n.get("subscriptionId", "")), _state(n), event)

    return [
        Route(NOTIFICATION_PATH, _handler("change", changed), methods=["POST"]),
        Route(LIFECYCLE_PATH, _handler("lifecycle", lifecycle), methods=["POST"]),
    ]


def _state(notification: dict[str, Any]) -> str | None:
    value = notification.get("clientState")
    return value if isinstance(value, str) else None
