"""Graph delta queries (mail folder messages, calendarView) answered from a mailbox's change log.

Tokens are opaque and live server-side, like Graph's sync state: a `$skiptoken` continues a round
of pages, a `$deltatoken` starts the next round from where the previous one ended. Using a page's
successor retires the page (old pages answer 410 SyncStateNotFound), and each mailbox keeps a
bounded number of tokens, so a client that hoards or replays links is caught.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.sandbox.emulators.microsoft.items import event_span
from services.sandbox.emulators.microsoft.model import ALL_FIELDS, CALENDAR, Item, JsonObject, Mailbox

# Graph keeps sync state in a cache of limited size; so do we, per mailbox.
TOKENS_PER_MAILBOX = 512
ALWAYS_RETURNED = ("@odata.type", "@odata.etag")


@dataclass(frozen=True)
class Entry:
    item_id: str
    mode: str  # "full" | "partial" | "removed"
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Chain:
    """What a token chain was started with; Graph encodes the same into its tokens."""

    mailbox: str  # lower-case UPN
    resource: str  # a mail folder name, or "calendar"
    window: tuple[datetime, datetime] | None = None
    select: tuple[str, ...] | None = None


@dataclass
class TokenState:
    chain: Chain
    kind: str  # "skip" (continues a round) | "delta" (starts the next round)
    since: int  # the change number the round's deltaLink will cover up to
    entries: list[Entry] = field(default_factory=list)
    offset: int = 0
    predecessor: str | None = None


@dataclass
class Page:
    value: list[JsonObject]
    next_token: str | None
    delta_token: str | None


class DeltaTokens:
    """Every live token, per mailbox, oldest first."""

    def __init__(self) -> None:
        self._by_mailbox: dict[str, OrderedDict[str, TokenState]] = {}

    def issue(self, state: TokenState) -> str:
        token = secrets.token_urlsafe(24)
        tokens = self._by_mailbox.setdefault(state.chain.mailbox, OrderedDict())
        tokens[token] = state
        while len(tokens) > TOKENS_PER_MAILBOX:
            tokens.popitem(last=False)
        return token

    def find(self, mailbox: str, token: str) -> TokenState | None:
        return self._by_mailbox.get(mailbox, OrderedDict()).get(token)

    def retire(self, mailbox: str, token: str | None) -> None:
        if token is not None:
            self._by_mailbox.get(mailbox, OrderedDict()).pop(token, None)

    def expire_all(self, mailbox: str) -> int:
        return len(self._by_mailbox.pop(mailbox, OrderedDict()))


def _in_window(item: Item, window: tuple[datetime, datetime] | None) -> bool:
    if window is None:
        return True
    start, end = event_span(item)
    return start < window[1] and end > window[0]


def in_scope(item: Item, chain: Chain) -> bool:
    if chain.resource == CALENDAR:
        return item.kind == "event" and item.folder == CALENDAR and _in_window(item, chain.window)
    return item.kind == "message" and item.folder == chain.resource


def initial_entries(mailbox: Mailbox, chain: Chain) -> list[Entry]:
    ordered = sorted(mailbox.items.values(), key=lambda i: i.created_seq)
    return [Entry(i.id, "full") for i in ordered if in_scope(i, chain)]


def incremental_entries(mailbox: Mailbox, chain: Chain, since: int) -> list[Entry]:
    entries: list[Entry] = []
    kind = "event" if chain.resource == CALENDAR else "message"
    for item in sorted((i for i in mailbox.items.values() if i.seq > since), key=lambda i: i.seq):
        if item.kind != kind:
            continue
        now_in = in_scope(item, chain)
        # Graph reports any event change outside the window (added, updated, deleted) as removed.
        was_in = item.created_seq <= since if kind == "event" else item.folder_at(since) == chain.resource
        if now_in and not was_in:
            entries.append(Entry(item.id, "full"))
        elif now_in:
            changed = item.fields_changed_after(since)
            entries.append(
                Entry(item.id, "full") if changed >= ALL_FIELDS else Entry(item.id, "partial", changed)
            )
        elif was_in or kind == "event":
            entries.append(Entry(item.id, "removed"))
    return entries


def render(item: Item, entry: Entry, chain: Chain, *, immutable_ids: bool) -> JsonObject:
    if entry.mode == "removed":
        odata_type = "#microsoft.graph.event" if item.kind == "event" else "#microsoft.graph.message"
        return {
            "@odata.type": odata_type,
            "id": item.rest_id(immutable_ids),
            "@removed": {"reason": "deleted"},
        }
    keys: list[str] | tuple[str, ...]
    if entry.mode == "partial":
        keys = [k for k in item.data if k in entry.fields or k in ALWAYS_RETURNED]
    else:
        keys = list(item.data)
    if chain.select is not None:
        wanted = set(chain.select) | set(ALWAYS_RETURNED)
        keys = [k for k in keys if k in wanted]
    out: JsonObject = {k: item.data[k] for k in keys}
    out["id"] = item.rest_id(immutable_ids)
    out.update(item.hostile)
    for key in item.hostile_drop:
        out.pop(key, None)
    return out


def serve_page(
    tokens: DeltaTokens,
    mailbox: Mailbox,
    state: TokenState,
    *,
    page_size: int,
    immutable_ids: bool,
    empty: bool = False,
    this_token: str | None = None,
) -> Page:
    """One page from `state`'s position; issues the token for the next page or the next round."""
    tokens.retire(state.chain.mailbox, state.predecessor)
    if empty:
        # A page with no items but a nextLink that continues at the same position.
        nxt = tokens.issue(replace(state, kind="skip", predecessor=this_token))
        return Page([], nxt, None)
    window = state.entries[state.offset : state.offset + page_size]
    value = [render(mailbox.items[e.item_id], e, state.chain, immutable_ids=immutable_ids) for e in window]
    offset = state.offset + len(window)
    if offset < len(state.entries):
        nxt = tokens.issue(replace(state, kind="skip", offset=offset, predecessor=this_token))
        return Page(value, nxt, None)
    # The last page's own link stays valid until the deltaLink is used: a client that crashed before
    # storing the deltaLink may ask for the last page again.
    delta = tokens.issue(TokenState(state.chain, "delta", state.since, predecessor=this_token))
    return Page(value, None, delta)
