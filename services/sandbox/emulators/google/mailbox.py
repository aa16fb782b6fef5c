"""One Gmail mailbox: messages, labels and the history log that `history.list` pages through."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from services.sandbox.emulators.google.errors import ApiError, bad_request, not_found
from services.sandbox.emulators.google.tokens import decode_token, encode_token

HistoryType = Literal["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
HISTORY_TYPES: tuple[HistoryType, ...] = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
SYSTEM_LABELS = frozenset(
    {"INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "CHAT"}
    | {f"CATEGORY_{c}" for c in ("PERSONAL", "SOCIAL", "PROMOTIONS", "UPDATES", "FORUMS")}
)
_USER_LABEL = re.compile(r"^Label_\d+$")
_HIDDEN_UNLESS_ASKED = frozenset({"SPAM", "TRASH"})
MAX_LIST_RESULTS = 500
DEFAULT_LIST_RESULTS = 100


@dataclass
class StoredMessage:
    """A message as Gmail keeps it. Bodies are never stored: the emulator serves metadata only."""

    id: str
    thread_id: str
    label_ids: list[str]
    internal_date_ms: int
    headers: list[tuple[str, str]]
    size_estimate: int
    history_id: int
    # Hostile representation (see `GoogleWorld.poison_message`): replaces what `resource` serves.
    hostile: dict[str, Any] = field(default_factory=dict)

    def resource(self, fmt: str, metadata_headers: Sequence[str]) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.label_ids),
            "snippet": "",
            "sizeEstimate": self.size_estimate,
            "historyId": str(self.history_id),
            "internalDate": str(self.internal_date_ms),
        }
        if fmt == "minimal":
            return resource
        wanted = {h.lower() for h in metadata_headers}
        headers = [
            {"name": name, "value": value}
            for name, value in self.headers
            if fmt != "metadata" or not wanted or name.lower() in wanted
        ]
        payload: dict[str, Any] = {"partId": "", "mimeType": "multipart/alternative", "filename": ""}
        payload["headers"] = headers
        if fmt == "full":
            payload["body"] = {"size": 0}
        resource["payload"] = payload
        resource.update(self.hostile)
        return resource

    def reference(self) -> dict[str, Any]:
        return {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.label_ids)}


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    type: HistoryType
    message: dict[str, Any]  # {"id", "threadId", "labelIds"} as of the change
    changed_labels: tuple[str, ...] = ()

    def resource(self) -> dict[str, Any]:
        brief = {"id": self.message["id"], "threadId": self.message["threadId"]}
        record: dict[str, Any] = {"id": str(self.id), "messages": [brief]}
        if self.type == "messageAdded":
            record["messagesAdded"] = [{"message": self.message}]
        elif self.type == "messageDeleted":
            record["messagesDeleted"] = [{"message": brief}]
        else:
            key = "labelsAdded" if self.type == "labelAdded" else "labelsRemoved"
            record[key] = [{"message": self.message, "labelIds": list(self.changed_labels)}]
        return record


def _parse_q(q: str) -> tuple[int | None, int | None]:
    """Only `after:` and `before:` (epoch seconds or YYYY/MM/DD) are emulated; anything else is a 400
    rather than a silently ignored filter."""
    after = before = None
    for term in q.split():
        name, _, value = term.partition(":")
        if name not in ("after", "before") or not value:
            raise bad_request(f"The emulator supports only after: and before: in q, not {term!r}")
        if value.isdigit():
            millis = int(value) * 1000
        else:
            try:
                millis = int(datetime.strptime(value, "%Y/%m/%d").replace(tzinfo=UTC).timestamp() * 1000)
            except ValueError as exc:
                raise bad_request(f"Invalid date in q: {term!r}") from exc
        if name == "after":
            after = millis
        else:
            before = millis
    return after, before


def _bounded(max_results: int | None, default: int, maximum: int) -> int:
    if max_results is None:
        return default
    if max_results < 1:
        raise bad_request("Invalid maxResults", location="maxResults")
    return min(max_results, maximum)


@dataclass
class Mailbox:
    """Messages and history of one user. History ids grow with random gaps, as Gmail's do.

    Ids below `history_floor` are expired: `history.list` from them answers 404, like an old
    historyId at Google. `on_change` is called with every new history record (push delivery).
    """

    address: str
    rng: random.Random
    history_id: int
    history_floor: int = 0
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    history: list[HistoryRecord] = field(default_factory=list)
    on_change: list[Callable[[Mailbox, HistoryRecord], None]] = field(default_factory=list)

    def _next_history_id(self) -> int:
        self.history_id += self.rng.randint(1, 9)
        return self.history_id

    def _record(self, kind: HistoryType, message: StoredMessage, changed: Iterable[str] = ()) -> None:
        record = HistoryRecord(self._next_history_id(), kind, message.reference(), tuple(changed))
        message.history_id = record.id
        self.history.append(record)
        for listener in self.on_change:
            listener(self, record)

    # -- mutations (control API) -------------------------------------------------------------------

    def add_message(
        self,
        *,
        thread_id: str | None,
        label_ids: Iterable[str],
        internal_date_ms: int,
        headers: list[tuple[str, str]],
        size_estimate: int = 4096,
        message_id: str | None = None,
    ) -> StoredMessage:
        labels = _validated_labels(label_ids)
        gmail_id = message_id or f"{self.rng.getrandbits(64):016x}"
        if gmail_id in self.messages:
            raise ValueError(f"message {gmail_id} already exists")
        message = StoredMessage(
            id=gmail_id,
            thread_id=thread_id or gmail_id,
            label_ids=labels,
            internal_date_ms=internal_date_ms,
            headers=headers,
            size_estimate=size_estimate,
            history_id=0,
        )
        self.messages[gmail_id] = message
        self._record("messageAdded", message)
        return message

    def modify_labels(self, message_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        message = self._get(message_id)
        added = [label for label in _validated_labels(add) if label not in message.label_ids]
        removed = [label for label in remove if label in message.label_ids]
        if added:
            message.label_ids.extend(added)
            self._record("labelAdded", message, added)
        if removed:
            message.label_ids = [label for label in message.label_ids if label not in removed]
            self._record("labelRemoved", message, removed)

    def delete_message(self, message_id: str) -> None:
        message = self._get(message_id)
        del self.messages[message_id]
        self._record("messageDeleted", message)

    def expire_history(self) -> None:
        """Every historyId handed out so far becomes invalid; the current one (after a bump) is valid."""
        self.history_floor = self._next_history_id()

    def _get(self, message_id: str) -> StoredMessage:
        try:
            return self.messages[message_id]
        except KeyError:
            raise KeyError(f"no message {message_id} in {self.address}") from None

    # -- API reads ---------------------------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        return {
            "emailAddress": self.address,
            "messagesTotal": len(self.messages),
            "threadsTotal": len({m.thread_id for m in self.messages.values()}),
            "historyId": str(self.history_id),
        }

    def get_message(self, message_id: str, fmt: str, metadata_headers: Sequence[str]) -> dict[str, Any]:
        if fmt not in ("minimal", "full", "raw", "metadata"):
            raise bad_request(f"Invalid value for format: {fmt}", location="format")
        if fmt == "raw":
            raise bad_request("The emulator never serves message bodies (format=raw)", location="format")
        message = self.messages.get(message_id)
        if message is None:
            raise not_found()
        return message.resource(fmt, metadata_headers)

    def list_messages(
        self,
        *,
        label_ids: Sequence[str],
        include_spam_trash: bool,
        q: str | None,
        max_results: int | None,
        page_token: str | None,
    ) -> dict[str, Any]:
        after, before = _parse_q(q or "")
        limit = _bounded(max_results, DEFAULT_LIST_RESULTS, MAX_LIST_RESULTS)
        cursor = _decode_page(page_token, "messages")
        matching = [
            m
            for m in self.messages.values()
            if all(label in m.label_ids for label in label_ids)
            and (include_spam_trash or _HIDDEN_UNLESS_ASKED.isdisjoint(m.label_ids))
            and (after is None or m.internal_date_ms >= after)
            and (before is None or m.internal_date_ms < before)
        ]
        # Newest first; keyset paging so mail arriving or leaving mid-walk never shifts a page.
        matching.sort(key=lambda m: (m.internal_date_ms, m.id), reverse=True)
        if cursor is not None:
            last = (int(cursor["d"]), str(cursor["i"]))
            matching = [m for m in matching if (m.internal_date_ms, m.id) < last]
        page = matching[:limit]
        response: dict[str, Any] = {"resultSizeEstimate": len(matching)}
        if page:
            response["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if len(matching) > limit:
            tail = page[-1]
            response["nextPageToken"] = encode_token(
                {"k": "messages", "d": tail.internal_date_ms, "i": tail.id}
            )
        return response

    def list_history(
        self,
        *,
        start_history_id: str | None,
        history_types: Sequence[str],
        label_id: str | None,
        max_results: int | None,
        page_token: str | None,
    ) -> dict[str, Any]:
        if not start_history_id:
            raise bad_request("Missing required parameter: startHistoryId", location="startHistoryId")
        if not start_history_id.isdigit():
            raise bad_request("Invalid startHistoryId", location="startHistoryId")
        start = int(start_history_id)
        if start < self.history_floor or start > self.history_id:
            raise not_found()
        for kind in history_types:
            if kind not in HISTORY_TYPES:
                raise bad_request(f"Invalid value for historyTypes: {kind}", location="historyTypes")
        limit = _bounded(max_results, DEFAULT_LIST_RESULTS, MAX_LIST_RESULTS)
        cursor = _decode_page(page_token, "history")
        after = int(cursor["after"]) if cursor is not None else start
        selected = [
            record
            for record in self.history
            if record.id > after
            and (not history_types or record.type in history_types)
            and (label_id is None or label_id in record.message.get("labelIds", ()))
        ]
        page = selected[:limit]
        response: dict[str, Any] = {"historyId": str(self.history_id)}
        if page:
            response["history"] = [record.resource() for record in page]
        if len(selected) > limit:
            response["nextPageToken"] = encode_token({"k": "history", "after": page[-1].id})
        return response


def _validated_labels(labels: Iterable[str]) -> list[str]:
    result = list(dict.fromkeys(labels))
    for label in result:
        if label not in SYSTEM_LABELS and not _USER_LABEL.match(label):
            raise ValueError(f"unknown label {label!r}")
    return result


def _decode_page(page_token: str | None, kind: str) -> dict[str, Any] | None:
    if not page_token:
        return None
    cursor = decode_token(page_token)
    if cursor is None or cursor.get("k") != kind:
        raise ApiError(400, "invalidArgument", "Invalid pageToken", location="pageToken")
    return cursor
