"""`groundtruth sync status` (with --watch) and `groundtruth backfill` (with a progress bar)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from services.cli.backfill_progress import BackfillProgress
from services.cli.render.admin import status_summary, status_table
from services.cli.render.backfill import backfill_summary
from services.cli.terminal import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    RAW,
    CliError,
    Terminal,
    add_gateway_options,
    print_json,
    with_client,
)
from services.client.rest import JsonObject, RestClient

Sleep = Callable[[float], None]
Clock = Callable[[], float]


def _selected(statuses: list[JsonObject], args: argparse.Namespace) -> list[JsonObject]:
    if getattr(args, "connection", None):
        statuses = [s for s in statuses if s.get("connection_id") == args.connection]
    return statuses


# --- sync status -------------------------------------------------------------------------------------


def _status(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    def fetch() -> list[JsonObject]:
        return _selected(client.sync_status(mailbox=args.mailbox).get("mailboxes") or [], args)

    if args.watch:
        if args.json or args.fail_on_error:
            raise CliError("--watch redraws a table; use --json or --fail-on-error without it")
        return watch_status(fetch, terminal, interval_sec=args.interval, count=args.count)
    statuses = fetch()
    if args.json:
        print_json(terminal, {"mailboxes": statuses})
    else:
        terminal.out.print(status_table(statuses, now=datetime.now(UTC)))
        terminal.out.print(status_summary(statuses), markup=False, highlight=False)
    # Stale is unhealthy too: busy or idle, but nothing imported for too long.
    in_error = [s["mailbox"] for s in statuses if s.get("state") in ("error", "stale")]
    if args.fail_on_error and in_error:
        terminal.fail(f"{len(in_error)} mailbox(es) in error or stale: {', '.join(sorted(in_error))}")
        return EXIT_INCOMPLETE
    return EXIT_OK


def watch_status(
    fetch: Callable[[], list[JsonObject]],
    terminal: Terminal,
    *,
    interval_sec: float,
    count: int | None,
    sleep: Sleep = time.sleep,
) -> int:
    """Redraw the status table every `interval_sec` until Ctrl-C (or `count` refreshes)."""

    def view() -> Any:
        statuses = fetch()
        now = datetime.now(UTC)
        title = f"Sync status at {now:%H:%M:%S} UTC (every {interval_sec:g} s; Ctrl-C stops)"
        table = status_table(statuses, now=now, title=title)
        table.caption = status_summary(statuses)
        return table

    refreshes = 0
    try:
        with Live(view(), console=terminal.out, auto_refresh=False, transient=False) as live:
            refreshes = 1
            while count is None or refreshes < count:
                sleep(interval_sec)
                live.update(view(), refresh=True)
                refreshes += 1
    except KeyboardInterrupt:
        pass
    return EXIT_OK


# --- backfill ----------------------------------------------------------------------------------------


def _targets(args: argparse.Namespace, client: RestClient, before: list[JsonObject]) -> list[str]:
    known = {s["mailbox"] for s in before}
    if args.mailbox:
        wanted = [m.strip().lower() for m in args.mailbox]
        missing = [m for m in wanted if m not in known]
        if missing:
            raise CliError(
                f"no mailbox {', '.join(missing)} in this tenant (see 'groundtruth mailboxes list')"
            )
        return list(dict.fromkeys(wanted))
    if args.connection:
        ids = {c["connection_id"] for c in client.list_connections().get("connections") or []}
        if args.connection not in ids:
            raise CliError(f"no connection {args.connection!r} (see 'groundtruth connections list')")
        mailboxes = [s["mailbox"] for s in before if s.get("connection_id") == args.connection]
        if not mailboxes:
            raise CliError(
                f"connection {args.connection} has no mailboxes yet (see 'groundtruth mailboxes add')"
            )
        return mailboxes
    if not known:
        raise CliError("this tenant has no mailboxes yet (see 'groundtruth mailboxes add')")
    return sorted(known)


def _backfill(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    before = client.sync_status().get("mailboxes") or []
    targets = _targets(args, client, before)
    progress = BackfillProgress.start(targets, before)
    started = time.monotonic()
    full = not args.sync_only
    if args.mailbox or args.connection:
        for mailbox in targets:
            client.trigger_sync(mailbox=mailbox, full_resync=full)
    else:
        client.trigger_sync(full_resync=full)
    kind = "full resync" if full else "sync"
    terminal.err.print(f"{kind} triggered for {len(targets)} mailbox(es)", markup=False, highlight=False)
    timed_out = follow(
        progress,
        lambda: client.sync_status().get("mailboxes") or [],
        terminal,
        started=started,
        interval_sec=args.interval,
        timeout_sec=args.timeout,
    )
    summary = backfill_summary(progress, timed_out=timed_out, timeout_sec=args.timeout)
    if args.json:
        print_json(terminal, summary.as_json())
    else:
        terminal.out.print(summary.table)
        terminal.out.print(summary.headline, markup=False, highlight=False, style=summary.style)
    return EXIT_OK if summary.ok else EXIT_INCOMPLETE


def follow(
    progress: BackfillProgress,
    fetch: Callable[[], list[JsonObject]],
    terminal: Terminal,
    *,
    started: float,
    interval_sec: float,
    timeout_sec: float,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> bool:
    """Poll until every mailbox is done or failed; a progress bar on an interactive stderr, a line per
    change otherwise (logs, CI). Returns True when `timeout_sec` ran out first."""
    interactive = terminal.err.is_terminal
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]backfill"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=terminal.err,
        transient=False,
        disable=not interactive,
    )
    last_line = ""
    with bar:
        task = bar.add_task("", total=progress.total)
        while True:
            progress.observe(fetch(), elapsed_sec=clock() - started)
            line = progress.line()
            bar.update(task, completed=progress.finished, description=line.split("; ", 1)[-1])
            if not interactive and line != last_line:
                terminal.err.print(line, markup=False, highlight=False)
                last_line = line
            if progress.done:
                return False
            if clock() - started >= timeout_sec:
                return True
            sleep(interval_sec)


# --- parsers -----------------------------------------------------------------------------------------


def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "sync",
        help="sync status of every mailbox",
        description="Capture's sync status per mailbox (admin key).\n\n"
        "example: groundtruth sync status --watch",
        formatter_class=RAW,
    )
    sub = group.add_subparsers(dest="sync_command", required=True, metavar="COMMAND")
    status = sub.add_parser(
        "status",
        help="per mailbox: state, last success, last error, items, lag",
        description="Per mailbox: state, last success, last error, items captured and lag (how long ago\n"
        "it was last completely caught up). --watch redraws it until Ctrl-C.\n\n"
        "examples: groundtruth sync status\n"
        "          groundtruth sync status --connection m365 --watch --interval 5\n"
        "          groundtruth sync status --mailbox ann@acme.example --json\n"
        "          groundtruth sync status --fail-on-error   # exit 3 when a mailbox is in error or stale",
        formatter_class=RAW,
    )
    status.add_argument("--mailbox", help="only this mailbox")
    status.add_argument("--connection", help="only this connection's mailboxes")
    status.add_argument("--watch", action="store_true", help="redraw until Ctrl-C")
    status.add_argument("--interval", type=_positive, default=2.0, help="seconds between redraws (default 2)")
    status.add_argument("--count", type=int, default=None, help="with --watch: stop after this many redraws")
    status.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit 3 when a mailbox is in error or stale (for monitoring)",
    )
    add_gateway_options(status)
    status.set_defaults(handler=with_client(_status))

    backfill = commands.add_parser(
        "backfill",
        help="resync mailboxes from scratch and follow them to the end",
        description="Trigger a full resync (a backfill; harmless: unchanged items are not published\n"
        "again) of every mailbox, a connection's or some, then follow the sync status with a\n"
        "progress bar until each mailbox is done or in error. Exit 0 when all are done, 3 when\n"
        "a mailbox ended in error or --timeout ran out.\n\n"
        "examples: groundtruth backfill --connection m365\n"
        "          groundtruth backfill --mailbox ann@acme.example --mailbox bob@acme.example\n"
        "          groundtruth backfill --sync-only --timeout 120 --json",
        formatter_class=RAW,
    )
    scope = backfill.add_mutually_exclusive_group()
    scope.add_argument("--connection", help="every mailbox of this connection")
    scope.add_argument("--mailbox", action="append", help="this mailbox (repeat for more)")
    backfill.add_argument(
        "--sync-only", action="store_true", help="an incremental sync now, not a full resync"
    )
    backfill.add_argument(
        "--timeout", type=_positive, default=3600.0, help="give up after seconds (default 3600)"
    )
    backfill.add_argument("--interval", type=_positive, default=1.0, help="seconds between polls (default 1)")
    add_gateway_options(backfill)
    backfill.set_defaults(handler=with_client(_backfill))


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than 0")
    return number
