"""Microsoft Graph `/v1.0`: mail and calendarView delta, item reads, subscriptions.

Links are absolute and built from the request's own scheme and Host, as Graph builds them from its
own; clients must follow them verbatim.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.sandbox.emulators.microsoft.delta import (
    Chain,
    Entry,
    TokenState,
    incremental_entries,
    initial_entries,
    render,
    serve_page,
)
from services.sandbox.emulators.microsoft.model import (
    CALENDAR,
    MAIL_FOLDERS,
    Item,
    JsonObject,
    Mailbox,
    Organisation,
)
from services.sandbox.emulators.microsoft.state import EmulatorState, Grant
from services.sandbox.emulators.microsoft.subscriptions import SubscriptionError

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
_MAIL_DELTA = re.compile(
    r"^users/(?P<user>[^/]+)/mailfolders(?:/(?P<f1>[^/(]+)|\('(?P<f2>[^']+)'\))/messages/delta$",
    re.IGNORECASE,
)
_CALENDAR_DELTA = re.compile(r"^users/(?P<user>[^/]+)/calendarview/delta$", re.IGNORECASE)
_ITEM = re.compile(r"^users/(?P<user>[^/]+)/(?P<what>messages|events)/(?P<id>[^/]+)$", re.IGNORECASE)
_SUBSCRIPTIONS = re.compile(r"^subscriptions(?:/(?P<id>[^/]+)(?P<reauth>/reauthorize)?)?$", re.IGNORECASE)
_MAX_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _json(body: JsonObject, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status, media_type="application/json", headers=headers
    )


class GraphApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [Route("/v1.0/{path:path}", self.dispatch, methods=["GET", "POST", "PATCH", "DELETE"])]

    async def dispatch(self, request: Request) -> Response:
        path = request.path_params["path"].strip("/")
        if self.state.latency_sec:
            await asyncio.sleep(self.state.latency_sec)
        try:
            grant = self.state.grant_for(request.headers.get("authorization"))
            if grant is None:
                raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            org = self.state.org(grant.tenant_id)
            assert org is not None
            if (m := _SUBSCRIPTIONS.match(path)) is not None:
                return await self._subscriptions(request, org, grant, m.group("id"), bool(m.group("reauth")))
            if request.method != "GET":
                raise GraphError(405, "Request_BadRequest", "Method not allowed.")
            if (m := _MAIL_DELTA.match(path)) is not None:
                folder = (m.group("f1") or m.group("f2")).lower().removeprefix("folder-")
                return self._delta(request, org, m.group("user"), folder)
            if (m := _CALENDAR_DELTA.match(path)) is not None:
                return self._delta(request, org, m.group("user"), CALENDAR)
            if (m := _ITEM.match(path)) is not None:
                return self._get_item(request, org, m.group("user"), m.group("what").lower(), m.group("id"))
            if path.lower().startswith("me/"):
                raise GraphError(
                    400, "BadRequest", "/me request is only valid with delegated authentication flow."
                )
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{path.split('/')[0]}'.")
        except GraphError as exc:
            return error_response(exc.status, exc.code, str(exc), exc.headers)
        except SubscriptionError as exc:
            return error_response(exc.status, exc.code, str(exc))

    # --- mailbox access and faults --------------------------------------------------------------

    def _mailbox(self, org: Organisation, user: str, operation: str) -> Mailbox:
        mailbox = org.mailbox(user)
        if mailbox is None:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
        faults = self.state.faults_for(mailbox.upn)
        if faults.denied:
            self.state.record(mailbox.upn, operation, 403)
            raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if faults.throttles:
            status, retry_after = faults.throttles.popleft()
            self.state.record(mailbox.upn, operation, status)
            headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
            if status == 429:
                raise GraphError(429, "TooManyRequests", "Please retry again later.", headers)
            raise GraphError(status, "ServiceUnavailable", "The service is temporarily unavailable.", headers)
        return mailbox

    # --- delta ----------------------------------------------------------------------------------

    def _delta(self, request: Request, org: Organisation, user: str, resource: str) -> Response:
        operation = f"delta:{resource}"
        mailbox = self._mailbox(org, user, operation)
        if resource != CALENDAR and resource not in MAIL_FOLDERS:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        faults = self.state.faults_for(mailbox.upn)
        tokens = self.state.delta_tokens
        query = request.query_params
        skip, delta = query.get("$skiptoken"), query.get("$deltatoken")
        unknown_token = bool(skip or delta) and tokens.find(mailbox.upn, skip or delta or "") is None
        if faults.always_expire or unknown_token:
            self.state.record(mailbox.upn, operation, 410)
            raise GraphError(
                410,
                "SyncStateNotFound",
                "The sync state generation is not found; generation=149;[highest=157][157][155][156].",
            )
        if delta:
            previous = tokens.find(mailbox.upn, delta)
            assert previous is not None
            tokens.retire(mailbox.upn, previous.predecessor)
            since = previous.since
            if faults.replay:
                since, faults.replay = max(0, since - faults.replay), 0
            entries = incremental_entries(mailbox, previous.chain, since)
            state = TokenState(previous.chain, "skip", mailbox.seq, entries)
            this_token: str | None = delta
        elif skip:
            found = tokens.find(mailbox.upn, skip)
            assert found is not None
            state = found
            if faults.replay:
                state, faults.replay = replace(state, offset=max(0, state.offset - faults.replay)), 0
            this_token = skip
        else:
            chain = self._initial_chain(query, mailbox, resource)
            state = TokenState(chain, "skip", mailbox.seq, initial_entries(mailbox, chain))
            this_token = None
        if state.chain.resource != resource:
            raise GraphError(400, "BadRequest", "The token does not belong to this resource.")
        prefer = request.headers.get("prefer", "")
        size = _MAX_PAGE.search(prefer)
        page_size = min(int(size.group(1)), MAX_PAGE_SIZE) if size else DEFAULT_PAGE_SIZE
        immutable = "immutableid" in prefer.lower().replace('"', "")
        empty = faults.empty_pages > 0
        if empty:
            faults.empty_pages -= 1
        page = serve_page(
            tokens,
            mailbox,
            state,
            page_size=max(page_size, 1),
            immutable_ids=immutable,
            empty=empty,
            this_token=this_token,
        )
        host = request.headers.get("host", request.url.netloc)
        base = f"{request.url.scheme}://{host}/v1.0/users/{quote(user, safe='@.')}"
        if resource == CALENDAR:
            link, kind = f"{base}/calendarView/delta", "event"
        else:
            link, kind = f"{base}/mailFolders('{resource}')/messages/delta", "message"
        body: JsonObject = {
            "@odata.context": f"{request.url.scheme}://{request.url.netloc}/v1.0/$metadata#Collection({kind})",
            "value": page.value,
        }
        if page.next_token:
            body["@odata.nextLink"] = f"{link}?$skiptoken={page.next_token}"
        else:
            body["@odata.deltaLink"] = f"{link}?$deltatoken={page.delta_token}"
        self.state.record(mailbox.upn, operation, 200)
        headers = {
            "Preference-Applied": 'odata.maxpagesize, IdType="ImmutableId"'
            if immutable
            else "odata.maxpagesize"
        }
        return _json(body, headers=headers)

    @staticmethod
    def _initial_chain(query: Any, mailbox: Mailbox, resource: str) -> Chain:
        select = query.get("$select")
        if resource != CALENDAR:
            fields = tuple(f.strip() for f in select.split(",") if f.strip()) if select else None
            return Chain(mailbox.upn, resource, select=fields)
        if select:
            raise GraphError(400, "ErrorInvalidParameter", "$select is not supported for calendarView delta.")
        try:
            start = datetime.fromisoformat(query["startDateTime"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(query["endDateTime"].replace("Z", "+00:00"))
        except (KeyError, ValueError) as exc:
            raise GraphError(
                400, "ErrorInvalidParameter", "startDateTime and endDateTime are required ISO-8601 values."
            ) from exc
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
        return Chain(mailbox.upn, CALENDAR, window=(start, end))

    # --- single items ---------------------------------------------------------------------------

    def _get_item(self, request: Request, org: Organisation, user: str, what: str, rest_id: str) -> Response:
        kind = "message" if what == "messages" else "event"
        mailbox = self._mailbox(org, user, f"get:{kind}")
        immutable = "immutableid" in request.headers.get("prefer", "").lower().replace('"', "")
        item = self._find(mailbox, rest_id, immutable)
        if item is None or item.kind != kind or item.folder is None:
            self.state.record(mailbox.upn, f"get:{kind}", 404)
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        select = request.query_params.get("$select")
        chain = Chain(
            mailbox.upn, item.folder, select=tuple(s.strip() for s in select.split(",")) if select else None
        )
        self.state.record(mailbox.upn, f"get:{kind}", 200)
        return _json(render(item, Entry(item.id, "full"), chain, immutable_ids=immutable))

    @staticmethod
    def _find(mailbox: Mailbox, rest_id: str, immutable: bool) -> Item | None:
        base, _, moves = rest_id.partition("-m")
        item = mailbox.items.get(base)
        if item is None:
            return None
        # A regular id dies when the message moves; the immutable one does not.
        if not immutable and item.rest_id(False) != rest_id:
            return None
        if moves and not moves.isdigit():
            return None
        return item

    # --- subscriptions --------------------------------------------------------------------------

    async def _subscriptions(
        self, request: Request, org: Organisation, grant: Grant, sub_id: str | None, reauthorize: bool
    ) -> Response:
        subs = self.state.subscriptions
        if sub_id is None:
            if request.method != "POST":
                raise GraphError(405, "Request_BadRequest", "Method not allowed.")
            body = await _read_json(request)
            sub = await subs.create(org, grant.client_id, body)
            self.state.record(sub.mailbox, "subscription:create", 201)
            return _json(sub.to_json(), 201)
        if reauthorize:
            subs.reauthorize(sub_id)
            return Response(status_code=200)
        if request.method == "GET":
            return _json(subs.live(sub_id).to_json())
        if request.method == "PATCH":
            sub = subs.renew(sub_id, await _read_json(request))
            self.state.record(sub.mailbox, "subscription:renew", 200)
            return _json(sub.to_json())
        if request.method == "DELETE":
            subs.delete(sub_id)
            return Response(status_code=204)
        raise GraphError(405, "Request_BadRequest", "Method not allowed.")


async def _read_json(request: Request) -> JsonObject:
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from exc
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.")
    return body
