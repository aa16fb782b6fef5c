"""Checkpoints of the Google walks, as the cursor store keeps them (one string per mailbox and feed).

A cursor is stored only after every item of the batch that produced it has been acknowledged, so a
restart resumes at the first page not yet published: nothing lost, at worst a page read twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


class CursorDecodeError(ValueError):
    """A stored cursor that this code did not write; the only safe recovery is a full sync."""


@dataclass(frozen=True)
class GmailCursor:
    """`history_id` is the incremental checkpoint, or, while `full_sync_page` is set, the profile
    historyId a full sync started from (history.list resumes there once the full sync completes).
    `history_page` continues a history walk from `history_id` that stopped between pages."""

    history_id: int
    full_sync_page: str | None = None
    history_page: str | None = None

    @property
    def in_full_sync(self) -> bool:
        return self.full_sync_page is not None

    def encode(self) -> str:
        data: dict[str, object] = {"v": 1, "h": self.history_id, "p": self.full_sync_page}
        if self.history_page is not None:
            data["hp"] = self.history_page
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> GmailCursor:
        try:
            data = json.loads(text)
            if data.get("v") != 1:
                raise ValueError("unknown version")
            page, history_page = data.get("p"), data.get("hp")
            return cls(
                int(data["h"]),
                str(page) if page is not None else None,
                str(history_page) if history_page is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CursorDecodeError(f"not a Gmail cursor: {text[:80]!r}") from exc


@dataclass(frozen=True)
class CalendarCursor:
    """`sync_token` None means the initial (full) sync; `page_token` resumes inside a walk."""

    sync_token: str | None
    page_token: str | None = None

    @property
    def in_full_sync(self) -> bool:
        return self.sync_token is None

    def encode(self) -> str:
        return json.dumps({"v": 1, "s": self.sync_token, "p": self.page_token}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> CalendarCursor:
        try:
            data = json.loads(text)
            if data.get("v") != 1:
                raise ValueError("unknown version")
            sync, page = data.get("s"), data.get("p")
            return cls(str(sync) if sync is not None else None, str(page) if page is not None else None)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CursorDecodeError(f"not a Calendar cursor: {text[:80]!r}") from exc
