"""One user's primary Google Calendar: events, recurring series and the sync-token change feed."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.sandbox.emulators.google.errors import ApiError, bad_request, full_sync_required
from services.sandbox.emulators.google.recurrence import basic_format, occurrences, parse_rule
from services.sandbox.emulators.google.tokens import decode_token, encode_token

MAX_RESULTS = 2500
DEFAULT_RESULTS = 250
_FORBIDDEN_WITH_SYNC_TOKEN = ("iCalUID", "orderBy", "q", "timeMin", "timeMax", "updatedMin")


@dataclass
class StoredEvent:
    resource: dict[str, Any]
    seq: int
    deleted: bool = False

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def series_id(self) -> str | None:
        value = self.resource.get("recurringEventId")
        return str(value) if value else None


@dataclass(frozen=True)
class ListParams:
    sync_token: str | None
    page_token: str | None
    max_results: int | None
    show_deleted: bool | None
    single_events: bool
    time_min: datetime | None
    time_max: datetime | None
    order_by: str | None


def instant(when: dict[str, Any]) -> datetime:
    """An EventDateTime as an aware datetime; an all-day `date` is midnight UTC."""
    if "dateTime" in when:
        return datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
    return datetime.combine(date.fromisoformat(str(when["date"])), datetime.min.time(), UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _shift(when: dict[str, Any], start: datetime, first: datetime) -> dict[str, Any]:
    moved = dict(when)
    if "dateTime" in when:
        moved["dateTime"] = (instant(when) + (start - first)).isoformat().replace("+00:00", "Z")
    else:
        moved["date"] = (date.fromisoformat(str(when["date"])) + (start - first)).isoformat()
    return moved


def minimal_cancelled(event: dict[str, Any]) -> dict[str, Any]:
    """What a cancelled item is guaranteed to carry: `id` (deleted events), plus `recurringEventId`
    and `originalStartTime` for a cancelled occurrence of a series."""
    minimal = {"kind": "calendar#event", "etag": event.get("etag", '"0"'), "id": event["id"]}
    minimal["status"] = "cancelled"
    for key in ("recurringEventId", "originalStartTime"):
        if key in event:
            minimal[key] = event[key]
    return minimal


@dataclass
class Calendar:
    """The primary calendar of `owner`. Every change gets the next sequence number; a sync token is
    the sequence number it was issued at. Tokens below `token_floor` are expired (410)."""

    owner: str
    horizon: Callable[[], datetime]
    seq: int = 1
    token_floor: int = 0
    empty_first_page: bool = True
    events: dict[str, StoredEvent] = field(default_factory=dict)
    on_change: list[Callable[[Calendar], None]] = field(default_factory=list)

    def put(self, resource: dict[str, Any], *, deleted: bool = False) -> None:
        if "recurrence" in resource:
            parse_rule(resource["recurrence"])  # refuse what cannot be expanded faithfully
        self.seq += 1
        stored = copy.deepcopy(resource)
        stored["etag"] = f'"{self.seq}"'
        self.events[str(stored["id"])] = StoredEvent(stored, self.seq, deleted)
        for listener in self.on_change:
            listener(self)

    def expire_sync_tokens(self) -> None:
        self.seq += 1
        self.token_floor = self.seq

    # -- the API's view -----------------------------------------------------------------------------

    def instances(self, master: StoredEvent) -> Iterator[dict[str, Any]]:
        """The series as singleEvents=true shows it, exceptions applied, cancelled ones minimal."""
        resource = master.resource
        exceptions = {e.id: e for e in self.events.values() if e.series_id == master.id}
        first = instant(resource["start"])
        for start in occurrences(parse_rule(resource["recurrence"]), first, horizon=self.horizon()):
            all_day = "date" in resource["start"]
            instance_id = f"{master.id}_{basic_format(start.date() if all_day else start)}"
            exception = exceptions.get(instance_id)
            if exception is not None:
                cancelled = exception.deleted or exception.resource.get("status") == "cancelled"
                yield minimal_cancelled(exception.resource) if cancelled else exception.resource
                continue
            original = _shift(resource["start"], start, first)
            instance = {k: v for k, v in resource.items() if k != "recurrence"}
            instance.update(
                id=instance_id,
                recurringEventId=master.id,
                originalStartTime=original,
                start=original,
                end=_shift(resource["end"], start, first),
            )
            yield minimal_cancelled(instance) if master.deleted else instance

    def _entries(self, params: ListParams, since: int | None) -> list[dict[str, Any]]:
        incremental = since is not None
        show_deleted = incremental or bool(params.show_deleted)
        changed = [e for e in self.events.values() if since is None or e.seq > since]
        entries: dict[str, dict[str, Any]] = {}
        for event in changed:
            cancelled = event.deleted or event.resource.get("status") == "cancelled"
            if params.single_events:
                if "recurrence" in event.resource:
                    for instance in self.instances(event):
                        if show_deleted or instance.get("status") != "cancelled":
                            entries[instance["id"]] = instance
                    continue
                if event.series_id is not None and not incremental:
                    continue  # shown through its series
            # A cancelled occurrence is listed even without showDeleted when singleEvents is false.
            visible = show_deleted or not cancelled or (event.series_id and not params.single_events)
            if visible:
                entries[event.id] = minimal_cancelled(event.resource) if cancelled else event.resource
        return [e for e in entries.values() if incremental or self._in_window(e, params)]

    def _in_window(self, entry: dict[str, Any], params: ListParams) -> bool:
        if params.time_min is None and params.time_max is None:
            return True
        if "start" not in entry:
            return "originalStartTime" in entry and self._overlaps(
                instant(entry["originalStartTime"]), instant(entry["originalStartTime"]), params
            )
        if "recurrence" in entry:
            stored = self.events[entry["id"]]
            return any(self._in_window(i, params) for i in self.instances(stored))
        return self._overlaps(instant(entry["start"]), instant(entry["end"]), params)

    @staticmethod
    def _overlaps(start: datetime, end: datetime, params: ListParams) -> bool:
        return (params.time_min is None or end > params.time_min) and (
            params.time_max is None or start < params.time_max
        )

    def list_events(self, params: ListParams, *, raw: dict[str, str]) -> dict[str, Any]:
        page = decode_token(params.page_token) if params.page_token else None
        if params.page_token and (page is None or page.get("k") != "events"):
            raise bad_request("Invalid pageToken", location="pageToken", api="calendar")
        since = self._validate(params, raw)
        snapshot = int(page["snap"]) if page else self.seq
        limit = min(params.max_results or DEFAULT_RESULTS, MAX_RESULTS)
        order = params.order_by
        entries = sorted(self._entries(params, since), key=lambda e: _sort_key(e, order))
        if page is not None:
            after = tuple(page["after"])
            entries = [e for e in entries if _sort_key(e, order) > after]
        if page is None and self.empty_first_page:
            # Google may answer a short or empty page with a nextPageToken; clients must keep going.
            items: list[dict[str, Any]] = []
            more = True
        else:
            items, more = entries[:limit], len(entries) > limit
        response: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{self.seq}"',
            "summary": self.owner,
            "updated": rfc3339(datetime.now(UTC)),
            "timeZone": "UTC",
            "accessRole": "owner",
            "defaultReminders": [],
            "items": items,
        }
        if more:
            after_key = list(_sort_key(items[-1], order)) if items else list(page["after"] if page else [])
            response["nextPageToken"] = encode_token({"k": "events", "after": after_key, "snap": snapshot})
        else:
            response["nextSyncToken"] = encode_token({"k": "sync", "u": self.owner, "s": snapshot})
        return response

    def _validate(self, params: ListParams, raw: dict[str, str]) -> int | None:
        if params.max_results is not None and params.max_results < 1:
            raise bad_request("Invalid value for maxResults", location="maxResults", api="calendar")
        if params.order_by not in (None, "startTime", "updated"):
            raise bad_request("Invalid value for orderBy", location="orderBy", api="calendar")
        if params.order_by == "startTime" and not params.single_events:
            raise bad_request(
                "The requested ordering is not available for the particular query.",
                location="orderBy",
                api="calendar",
            )
        if params.time_min and params.time_max and params.time_min >= params.time_max:
            raise ApiError(
                400,
                "timeRangeEmpty",
                "The specified time range is empty.",
                domain="calendar",
                location="timeMax",
                with_status_name=False,
            )
        if params.sync_token is None:
            return None
        for name in _FORBIDDEN_WITH_SYNC_TOKEN:
            if name in raw:
                raise bad_request(
                    f"The parameter {name} cannot be used together with syncToken.",
                    location=name,
                    api="calendar",
                )
        if params.show_deleted is False:
            raise bad_request("showDeleted=false is not allowed with syncToken", api="calendar")
        token = decode_token(params.sync_token)
        if token is None or token.get("k") != "sync":
            raise bad_request("Invalid sync token value.", location="syncToken", api="calendar")
        if token.get("u") != self.owner or int(token["s"]) < self.token_floor:
            raise full_sync_required()
        return int(token["s"])


def _sort_key(entry: dict[str, Any], order_by: str | None) -> tuple[str, ...]:
    if order_by == "startTime" and "start" in entry:
        return (instant(entry["start"]).astimezone(UTC).isoformat(), entry["id"])
    if order_by == "updated":
        return (str(entry.get("updated", "")), entry["id"])
    return ("", entry["id"])


def horizon_from(now: Callable[[], datetime], days: int) -> Callable[[], datetime]:
    return lambda: now() + timedelta(days=days)
