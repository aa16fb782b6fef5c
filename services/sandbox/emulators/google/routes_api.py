"""Gmail v1 and Calendar v3 routes, at the paths google-api-python-client sends them to, and the
OAuth token endpoint. Every API call is authenticated, scope-checked, fault-injected and charged
against the user's quota, in that order."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.sandbox.emulators.google.calendar import ListParams
from services.sandbox.emulators.google.errors import (
    ApiError,
    OAuthError,
    bad_request,
    insufficient_scopes,
    not_found,
)
from services.sandbox.emulators.google.faults import Api
from services.sandbox.emulators.google.identity import AccessGrant
from services.sandbox.emulators.google.push import (
    CALENDAR_DEFAULT_TTL_SEC,
    GMAIL_WATCH_LIFETIME_MS,
    Channel,
    GmailWatch,
)
from services.sandbox.emulators.google.world import GoogleWorld

_AUTH = "https://www.googleapis.com/auth/"
GMAIL_READ_SCOPES = frozenset(
    {"https://mail.google.com/"} | {_AUTH + s for s in ("gmail.modify", "gmail.readonly", "gmail.metadata")}
)
GMAIL_METADATA_ONLY = _AUTH + "gmail.metadata"
CALENDAR_READ_SCOPES = frozenset(
    _AUTH + s for s in ("calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly")
)
_TOPIC = re.compile(r"^projects/[^/]+/topics/[^/]+$")

Handler = Callable[[Request, AccessGrant, Any], Any]


def _flag(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad_request(f"Invalid boolean value for {name}: {value}", location=name)


def _int(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"Invalid value for {name}: {value}", location=name) from None


def _timestamp(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise bad_request(
            f"Bad Request: {name} must be RFC 3339 with an offset", location=name, api="calendar"
        )
    return parsed


class ApiRoutes:
    """Builds the routes over one world; `base_url` is where the emulator is reachable."""

    def __init__(self, world: GoogleWorld, base_url: Callable[[], str]) -> None:
        self.world = world
        self.base_url = base_url

    def routes(self) -> list[BaseRoute]:
        g = "/gmail/v1/users/{user_id}"
        c = "/calendar/v3"
        return [
            Route("/token", self.token, methods=["POST"]),
            Route(g + "/profile", self._api("gmail", "users.getProfile", self.profile)),
            Route(g + "/messages", self._api("gmail", "users.messages.list", self.list_messages)),
            Route(g + "/messages/{message_id}", self._api("gmail", "users.messages.get", self.get_message)),
            Route(g + "/history", self._api("gmail", "users.history.list", self.list_history)),
            Route(g + "/watch", self._api("gmail", "users.watch", self.gmail_watch), methods=["POST"]),
            Route(g + "/stop", self._api("gmail", "users.stop", self.gmail_stop), methods=["POST"]),
            Route(
                c + "/calendars/{calendar_id}/events", self._api("calendar", "events.list", self.list_events)
            ),
            Route(
                c + "/calendars/{calendar_id}/events/watch",
                self._api("calendar", "events.watch", self.events_watch),
                methods=["POST"],
            ),
            Route(
                c + "/channels/stop",
                self._api("calendar", "channels.stop", self.channels_stop),
                methods=["POST"],
            ),
        ]

    async def token(self, request: Request) -> Response:
        # A urlencoded form (RFC 6749); parsed here so the emulator needs no multipart library.
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        grant_type, assertion = form.get("grant_type", [None])[0], form.get("assertion", [None])[0]
        with self.world.lock:
            try:
                grant = self.world.directory.exchange_assertion(grant_type, assertion)
            except OAuthError as exc:
                return exc.response()
        lifetime = self.world.directory.token_lifetime_sec
        return JSONResponse({"access_token": grant.token, "expires_in": lifetime, "token_type": "Bearer"})

    def _api(self, api: Api, method: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        scopes = GMAIL_READ_SCOPES if api == "gmail" else CALENDAR_READ_SCOPES

        async def endpoint(request: Request) -> Response:
            if self.world.latency_sec > 0:
                await asyncio.sleep(self.world.latency_sec)
            body: Any = None
            if request.method == "POST":
                raw = await request.body()
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    return bad_request("Invalid JSON payload received.", api=api).response()
            with self.world.lock:
                try:
                    grant = self.world.directory.authenticate(request.headers.get("authorization"))
                    if not grant.scopes & scopes:
                        raise insufficient_scopes()
                    user = self._user(request, grant, api)
                    self.world.served[(user, method)] += 1
                    if request.query_params.get("alt", "json") != "json":
                        raise bad_request("The emulator serves alt=json only", location="alt", api=api)
                    error = self.world.faults.take(user, api) or self.world.quotas.charge(user, api, method)
                    if error is not None:
                        raise error
                    result = handler(request, grant, body)
                except ApiError as exc:
                    return exc.response()
            if result is None:
                return Response(status_code=204)
            return JSONResponse(result)

        return endpoint

    @staticmethod
    def _user(request: Request, grant: AccessGrant, api: Api) -> str:
        subject = grant.subject or ""
        if api == "gmail":
            user_id = request.path_params["user_id"]
            if user_id not in ("me", subject):
                raise ApiError(403, "forbidden", f"Delegation denied for {subject}")
            return subject
        calendar_id = request.path_params.get("calendar_id", "primary")
        if calendar_id not in ("primary", subject):
            raise not_found("Not Found", api="calendar")
        return subject

    # -- Gmail ------------------------------------------------------------------------------------

    def _mailbox_of(self, grant: AccessGrant) -> Any:
        return self.world.mailboxes[grant.subject or ""]

    def profile(self, _: Request, grant: AccessGrant, __: Any) -> Any:
        return self._mailbox_of(grant).profile()

    def list_messages(self, request: Request, grant: AccessGrant, _: Any) -> Any:
        query = request.query_params
        if query.get("q") and self._metadata_only(grant):
            raise ApiError(403, "forbidden", "Metadata scope does not support 'q' parameter")
        return self._mailbox_of(grant).list_messages(
            label_ids=query.getlist("labelIds"),
            include_spam_trash=bool(_flag(query.get("includeSpamTrash"), "includeSpamTrash")),
            q=query.get("q"),
            max_results=_int(query.get("maxResults"), "maxResults"),
            page_token=query.get("pageToken"),
        )

    def get_message(self, request: Request, grant: AccessGrant, _: Any) -> Any:
        fmt = request.query_params.get("format", "full").lower()
        if fmt in ("full", "raw") and self._metadata_only(grant):
            raise ApiError(403, "forbidden", f"Metadata scope doesn't allow format {fmt.upper()}")
        return self._mailbox_of(grant).get_message(
            request.path_params["message_id"], fmt, request.query_params.getlist("metadataHeaders")
        )

    def list_history(self, request: Request, grant: AccessGrant, _: Any) -> Any:
        query = request.query_params
        return self._mailbox_of(grant).list_history(
            start_history_id=query.get("startHistoryId"),
            history_types=query.getlist("historyTypes"),
            label_id=query.get("labelId"),
            max_results=_int(query.get("maxResults"), "maxResults"),
            page_token=query.get("pageToken"),
        )

    def gmail_watch(self, _: Request, grant: AccessGrant, body: Any) -> Any:
        topic = str(body.get("topicName", ""))
        if not _TOPIC.match(topic):
            raise bad_request("Invalid topicName does not match projects/SOME_ANONYMOUS_PROJECT_ID/topics/*")
        behavior = str(body.get("labelFilterBehavior") or body.get("labelFilterAction") or "include").lower()
        if behavior not in ("include", "exclude"):
            raise bad_request(f"Invalid labelFilterBehavior: {behavior}")
        mailbox = self._mailbox_of(grant)
        expiration = int(self.world.push.clock() * 1000) + GMAIL_WATCH_LIFETIME_MS
        self.world.push.gmail_watches[mailbox.address] = GmailWatch(
            topic=topic,
            label_ids=tuple(body.get("labelIds") or ()),
            exclude=behavior == "exclude",
            expiration_ms=expiration,
        )
        return {"historyId": str(mailbox.history_id), "expiration": str(expiration)}

    def gmail_stop(self, _: Request, grant: AccessGrant, __: Any) -> Any:
        self.world.push.gmail_watches.pop(grant.subject or "", None)
        return None

    @staticmethod
    def _metadata_only(grant: AccessGrant) -> bool:
        return grant.scopes & GMAIL_READ_SCOPES == {GMAIL_METADATA_ONLY}

    # -- Calendar ---------------------------------------------------------------------------------

    def list_events(self, request: Request, grant: AccessGrant, _: Any) -> Any:
        query = request.query_params
        params = ListParams(
            sync_token=query.get("syncToken"),
            page_token=query.get("pageToken"),
            max_results=_int(query.get("maxResults"), "maxResults"),
            show_deleted=_flag(query.get("showDeleted"), "showDeleted"),
            single_events=bool(_flag(query.get("singleEvents"), "singleEvents")),
            time_min=_timestamp(query.get("timeMin"), "timeMin"),
            time_max=_timestamp(query.get("timeMax"), "timeMax"),
            order_by=query.get("orderBy"),
        )
        calendar = self.world.calendars[grant.subject or ""]
        return calendar.list_events(params, raw=dict(query))

    def events_watch(self, request: Request, grant: AccessGrant, body: Any) -> Any:
        channel_id, address = str(body.get("id", "")), str(body.get("address", ""))
        if not channel_id or len(channel_id) > 64 or not address.startswith(("https://", "http://")):
            raise bad_request("A channel needs an id (at most 64 characters) and an address", api="calendar")
        if str(body.get("type", "")).lower() not in ("web_hook", "webhook"):
            raise bad_request(f"Invalid channel type: {body.get('type')}", api="calendar")
        if channel_id in self.world.push.channels:
            raise ApiError(400, "channelIdNotUnique", "Channel id not unique", with_status_name=False)
        ttl_sec = int((body.get("params") or {}).get("ttl", CALENDAR_DEFAULT_TTL_SEC))
        now_ms = int(self.world.push.clock() * 1000)
        expiration = now_ms + ttl_sec * 1000
        if body.get("expiration"):
            expiration = min(expiration, int(body["expiration"]))
        calendar_id = request.path_params["calendar_id"]
        channel = Channel(
            id=channel_id,
            resource_id=secrets.token_urlsafe(20),
            user=grant.subject or "",
            address=address,
            token=body.get("token"),
            expiration_ms=expiration,
            resource_uri=f"{self.base_url()}/calendar/v3/calendars/{calendar_id}/events?alt=json",
        )
        self.world.push.open_channel(channel)
        return channel.resource()

    def channels_stop(self, _: Request, grant: AccessGrant, body: Any) -> Any:
        channel = self.world.push.channels.get(str(body.get("id", "")))
        if channel is None or channel.resource_id != body.get("resourceId") or channel.user != grant.subject:
            raise not_found(f"Channel '{body.get('id')}' not found for project", api="calendar")
        del self.world.push.channels[channel.id]
        return None
