"""Keys, connections, mailboxes, sync status and erasure as tables (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from services.cli.render.formats import DASH, ago, duration, noted_if_empty, text, timestamp

JsonObject = Mapping[str, Any]

STATE_STYLES = {
    "idle": "green",
    "syncing": "cyan",
    "backfilling": "cyan",
    "pending": "yellow",
    "throttled": "yellow",
    "stale": "bold yellow",
    "error": "bold red",
}


def keys_table(keys: Iterable[JsonObject]) -> Table:
    table = Table(title="API keys", title_justify="left")
    for column in ("key id", "role", "rep", "name", "state", "created", "last used"):
        table.add_column(column)
    for key in keys:
        revoked = key.get("revoked_at")
        state = Text(f"revoked {timestamp(revoked)}", style="red") if revoked else Text("active", "green")
        table.add_row(
            key["key_id"],
            key["role"],
            text(key.get("rep_id")),
            key["name"],
            state,
            timestamp(key.get("created_at")),
            timestamp(key.get("last_used_at")) if key.get("last_used_at") else "never",
        )
    return noted_if_empty(table, "no keys")


def created_key_lines(created: JsonObject) -> list[str]:
    """The same two lines the direct-database `keys create` prints, so scripts parse either."""
    key = created["key"]
    return [
        f"{key['role']} key {key['key_id']} created",
        f"key (shown once, store it now): {created['secret']}",
    ]


def connections_table(connections: Iterable[JsonObject]) -> Table:
    table = Table(title="Connections", title_justify="left")
    for column in (
        "connection",
        "provider",
        "directory / domain",
        "app / service account",
        "credentials",
        "created",
    ):
        table.add_column(column)
    for c in connections:
        microsoft = c.get("provider") == "microsoft"
        table.add_row(
            c["connection_id"],
            text(c.get("provider")),
            text(c.get("directory_tenant_id") if microsoft else c.get("workspace_domain")),
            text(c.get("client_id") if microsoft else c.get("service_account_email")),
            "yes" if c.get("has_credentials") else Text("missing", "red"),
            timestamp(c.get("created_at")),
        )
    return noted_if_empty(table, "no connections yet: see 'groundtruth connections add-microsoft --help'")


def connection_line(connection: JsonObject) -> str:
    who = connection.get("directory_tenant_id") or connection.get("workspace_domain") or DASH
    return f"{connection.get('provider')} connection {connection['connection_id']} registered ({who})"


def state_text(state: str) -> Text:
    return Text(state or DASH, style=STATE_STYLES.get(state, ""))


def status_table(statuses: Iterable[JsonObject], *, now: datetime, title: str = "Sync status") -> Table:
    """Per mailbox: state, last success, last error, items captured, lag."""
    table = Table(title=title, title_justify="left")
    table.add_column("mailbox")
    table.add_column("rep")
    table.add_column("connection")
    table.add_column("state")
    table.add_column("last success")
    table.add_column("items", justify="right")
    table.add_column("lag", justify="right")
    table.add_column("rejected", justify="right")
    table.add_column("last error", overflow="fold", max_width=60)
    for s in sorted(statuses, key=lambda s: str(s.get("mailbox"))):
        error = s.get("last_error") or ""
        error_cell = f"{timestamp(s.get('last_error_at'))} {error}" if error else DASH
        lag = s.get("lag_seconds")
        table.add_row(
            s["mailbox"],
            text(s.get("rep_id")),
            text(s.get("connection_id")),
            state_text(str(s.get("state") or "")),
            ago(s.get("last_success_at"), now),
            f"{int(s.get('items_captured') or 0):,}",
            duration(lag) if lag and s.get("last_success_at") else DASH,
            _rejected_cell(s),
            Text(error_cell, style="red" if s.get("state") == "error" else "dim"),
        )
    return noted_if_empty(table, "no mailboxes: see 'groundtruth mailboxes import --help'")


def _rejected_cell(s: JsonObject) -> Text:
    """Quarantined items and the last reason (`3 (bad_date)`): the rest of the mailbox flowed."""
    count = int(s.get("items_rejected") or 0)
    if not count:
        return Text(DASH, style="dim")
    return Text(f"{count:,} ({s.get('last_reject_reason') or '?'})", style="yellow")


def status_summary(statuses: Iterable[JsonObject]) -> str:
    """`12 mailboxes: 10 idle, 1 backfilling, 1 error` (states in a fixed order)."""
    counts: dict[str, int] = {}
    total = 0
    for s in statuses:
        counts[str(s.get("state"))] = counts.get(str(s.get("state")), 0) + 1
        total += 1
    order = ["idle", "syncing", "backfilling", "pending", "throttled", "stale", "error"]
    parts = [f"{counts.pop(state)} {state}" for state in order if state in counts]
    parts += [f"{n} {state}" for state, n in sorted(counts.items())]
    noun = "mailbox" if total == 1 else "mailboxes"
    return f"{total} {noun}" + (": " + ", ".join(parts) if parts else "")


def erasure_lines(erasure: JsonObject) -> list[str]:
    capture = erasure.get("capture") or {}
    scoring = erasure.get("scoring") or {}
    revoked = erasure.get("revoked_key_ids") or []
    return [
        f"rep {erasure['rep_id']} erased",
        f"  capture: {capture.get('mailboxes_removed', 0)} mailbox(es) removed",
        f"  scoring: {scoring.get('activities_deleted', 0)} activities, "
        f"{scoring.get('aggregates_deleted', 0)} daily aggregates, {scoring.get('scores_deleted', 0)} scores "
        "deleted",
        f"  keys revoked: {', '.join(revoked) if revoked else 'none'}",
    ]
