"""Google's push endpoints, served by capture (PROVIDERS.md §6 push, §7 push).

- `POST /webhooks/google/gmail`: a Pub/Sub push envelope whose data names the mailbox
  (`emailAddress`). It only wakes that mailbox: the stored checkpoint, never the notification's
  historyId, decides what is read. When a push token is configured, the Pub/Sub subscription's
  endpoint URL carries it (`?token=...`) and a request without it is refused (403) before anything
  is parsed; the comparison is constant-time.
- `POST /webhooks/google/calendar`: a bodiless channel notification. The channel id and token go to
  the sink, which checks the token against the channel's secret in constant time; `sync` (the hello
  sent when a channel opens) is acknowledged and ignored.

Both answer at once (the sink only queues work): 204 for anything Google sent, including a
notification for a mailbox or channel capture no longer knows (retrying would not help); 400 for a
body that is not a Pub/Sub envelope (Google never sends one) and 413 above 64 KB.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from groundtruth.activity.v1 import activity_pb2
from services.capture.ports import NotificationSink
from services.capture.providers.google.push import (
    PushParseError,
    channel_token_matches,
    parse_calendar_push,
    parse_pubsub_push,
)

GMAIL_PATH = "/webhooks/google/gmail"
CALENDAR_PATH = "/webhooks/google/calendar"
MAX_BODY_BYTES = 64_000  # a Pub/Sub envelope of a Gmail notification is a few hundred bytes
_log = logging.getLogger(__name__)
GOOGLE_NOTIFICATIONS = Counter(
    "gt_capture_google_notifications_total",
    "Google push notifications received, by feed and outcome",
    ["feed", "outcome"],
)


def _token_ok(expected: str | None, received: str | None) -> bool:
    return not expected or channel_token_matches(expected, received)


def webhook_routes(sink: NotificationSink, *, pubsub_token: str | None = None) -> list[BaseRoute]:
    async def gmail(request: Request) -> Response:
        if not _token_ok(pubsub_token, request.query_params.get("token")):
            GOOGLE_NOTIFICATIONS.labels("gmail", "forbidden").inc()
            return PlainTextResponse("missing or wrong push token", status_code=403)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return PlainTextResponse("notification body too large", status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("notification body too large", status_code=413)
        try:
            push = parse_pubsub_push(body)
        except PushParseError as exc:
            GOOGLE_NOTIFICATIONS.labels("gmail", "malformed").inc()
            return PlainTextResponse(str(exc)[:200], status_code=400)
        known = sink.mailbox_changed(activity_pb2.PROVIDER_GOOGLE, push.email_address)
        GOOGLE_NOTIFICATIONS.labels("gmail", "accepted" if known else "unknown").inc()
        return Response(status_code=204)

    async def calendar(request: Request) -> Response:
        try:
            push = parse_calendar_push(dict(request.headers))
        except PushParseError as exc:
            GOOGLE_NOTIFICATIONS.labels("calendar", "malformed").inc()
            return PlainTextResponse(str(exc)[:200], status_code=400)
        if not push.is_change:
            GOOGLE_NOTIFICATIONS.labels("calendar", "sync").inc()
            return Response(status_code=204)
        accepted = sink.changed(push.channel_id, push.token)
        GOOGLE_NOTIFICATIONS.labels("calendar", "accepted" if accepted else "rejected").inc()
        if not accepted:
            _log.warning(
                "calendar notification dropped: unknown channel or wrong token",
                extra={"channel_id": push.channel_id[:64]},
            )
        return Response(status_code=204)

    return [
        Route(GMAIL_PATH, gmail, methods=["POST"]),
        Route(CALENDAR_PATH, calendar, methods=["POST"]),
    ]
