"""Tryton → Groundtruth: what changed since the stored watermarks, as CRM events.

Order of a pass, for each group of streams: read a page of changes per stream (ordered by
`last_modified_at`, then id) → map to events → ingest them (the gateway acknowledges only what the
broker stored) → only then store the streams' new watermarks in Tryton. A crash anywhere repeats at
most the page that was not yet stored; repeats are harmless because an unchanged record maps to the
same event, which the gateway gives the same id and scoring applies once.

Each pass starts `overlap_sec` before the watermarks: a PostgreSQL-backed Tryton stamps rows with its
transaction's start time, so a long transaction can commit rows older than a watermark already stored.
Within one process, rows already sent in the same version are not sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from plugins.tryton.connector import mapping
from plugins.tryton.connector.jsonrpc import TrytonRpc
from plugins.tryton.connector.reps import RepDirectory, build_directory

_log = logging.getLogger(__name__)
Row = dict[str, Any]
Ingest = Callable[[Sequence[crm_pb2.CrmEvent]], Awaitable[None]]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ALL = {"active_test": False}  # archived rows too: archiving is a change the connector must send


@dataclass(frozen=True, order=True)
class Watermark:
    """A stream's position: the last row sent, by modification time and id."""

    at: datetime = EPOCH
    record_id: int = 0

    def encode(self) -> str:
        return f"{self.at.isoformat()}|{self.record_id}"

    @classmethod
    def decode(cls, text: str | None) -> Watermark:
        if not text:
            return cls()
        at, _, record = text.partition("|")
        return cls(datetime.fromisoformat(at), int(record or 0))


@dataclass(frozen=True)
class Stream:
    model: str
    fields: list[str]
    time_field: str = "last_modified_at"
    context: Mapping[str, Any] = field(default_factory=dict)


PARTIES = Stream(mapping.PARTY, mapping.PARTY_FIELDS, context={"active_test": False})
MECHANISMS = Stream(mapping.MECHANISM, mapping.MECHANISM_FIELDS, context={"active_test": False})
DELETIONS = Stream(
    "groundtruth.deletion", ["id", "model", "record_id", "party", "create_date"], "create_date"
)
OPPORTUNITIES = Stream(mapping.OPPORTUNITY, mapping.OPPORTUNITY_FIELDS)
LOGINS = Stream("groundtruth.login", ["id", "user", "login_at"], "login_at")
RECORD_STREAMS = (PARTIES, MECHANISMS, DELETIONS)


async def load_directory(tryton: TrytonRpc) -> RepDirectory:
    """Employees, users and their e-mails, read fresh (a few hundred rows at most)."""
    employees = await tryton.search_read(
        "company.employee", [], ["id", "party", "gt_rep_id"], context={"active_test": False}
    )
    users = await tryton.search_read("res.user", [], ["id", "email", "employee", "employees"])
    parties = sorted({e["party"] for e in employees})
    emails: dict[int, str] = {}
    if parties:
        for row in await tryton.search_read(
            mapping.MECHANISM, [("party", "in", parties), ("type", "=", "email")], ["party", "value"],
            order=[("sequence", "ASC"), ("id", "ASC")],
        ):  # fmt: skip
            emails.setdefault(row["party"], row["value"])
    companies = await tryton.search_read("company.company", [], ["party"])
    return build_directory(employees, users, emails, [c["party"] for c in companies])


class Inbound:
    """One pass at a time (`run_pass`); not concurrent with itself. Raises TrytonUnavailable /
    TrytonError / grpc errors as they come: the caller retries the pass later."""

    def __init__(
        self, tryton: TrytonRpc, ingest: Ingest, *, page_size: int = 200, overlap_sec: float = 60.0
    ) -> None:
        self._tryton = tryton
        self._ingest = ingest
        self._page_size = page_size
        self._overlap = timedelta(seconds=overlap_sec)
        self._sent: dict[tuple[str, int], datetime] = {}
        self.events_sent = 0

    async def run_pass(self, reps: RepDirectory) -> int:
        """Send everything changed since the watermarks; returns how many events were ingested."""
        stored = {
            k: Watermark.decode(v)
            for k, v in (await self._tryton.call("model.groundtruth.sync_state.get_points")).items()
        }
        sent = 0
        for group in (RECORD_STREAMS, (OPPORTUNITIES,), (LOGINS,)):
            cursors = {s.model: self._start(stored.get(s.model)) for s in group}
            while True:
                pages = {s.model: await self._page(s, cursors[s.model]) for s in group}
                events = await self._events(group, pages, reps)
                fresh = [e for key, at, e in events if self._sent.get(key) != at]
                for batch in mapping.chunks(fresh):
                    await self._ingest(batch)
                for key, at, _ in events:
                    self._sent[key] = at
                sent += len(fresh)
                points: dict[str, str] = {}
                for s in group:
                    if pages[s.model]:
                        last = pages[s.model][-1]
                        cursors[s.model] = Watermark(_time(last, s), last["id"])
                        if cursors[s.model] > stored.get(s.model, Watermark()):
                            stored[s.model] = cursors[s.model]
                            points[s.model] = cursors[s.model].encode()
                if points:
                    await self._tryton.call("model.groundtruth.sync_state.set_points", points)
                if all(len(p) < self._page_size for p in pages.values()):
                    break
        self.events_sent += sent
        self._forget_old()
        return sent

    def _start(self, mark: Watermark | None) -> Watermark:
        mark = mark or Watermark()
        return Watermark(max(EPOCH, mark.at - self._overlap), 0)

    async def _page(self, stream: Stream, after: Watermark) -> list[Row]:
        t = stream.time_field
        domain = ["OR", (t, ">", after.at), [(t, "=", after.at), ("id", ">", after.record_id)]]
        return await self._tryton.search_read(
            stream.model, domain, stream.fields, order=[(t, "ASC"), ("id", "ASC")], limit=self._page_size,
            context=stream.context,
        )  # fmt: skip

    async def _events(
        self, group: Sequence[Stream], pages: Mapping[str, list[Row]], reps: RepDirectory
    ) -> list[tuple[tuple[str, int], datetime, crm_pb2.CrmEvent]]:
        """(key, version, event) of a page: the version is what makes a repeat recognisable."""
        out: list[tuple[tuple[str, int], datetime, crm_pb2.CrmEvent]] = []
        if group is RECORD_STREAMS:
            out += await self._record_events(pages, reps)
        elif group == (OPPORTUNITIES,):
            for row in pages[mapping.OPPORTUNITY]:
                out.append(
                    (
                        (mapping.OPPORTUNITY, row["id"]),
                        mapping.modified_at(row),
                        mapping.opportunity_event(row, reps),
                    )
                )
        else:
            for row in pages["groundtruth.login"]:
                login = mapping.login_event(row, reps)
                if login is not None:
                    out.append((("groundtruth.login", row["id"]), row["login_at"], login))
        return out

    async def _record_events(
        self, pages: Mapping[str, list[Row]], reps: RepDirectory
    ) -> list[tuple[tuple[str, int], datetime, crm_pb2.CrmEvent]]:
        out: list[tuple[tuple[str, int], datetime, crm_pb2.CrmEvent]] = []
        deletions = pages["groundtruth.deletion"]
        party_ids = {r["id"] for r in pages[mapping.PARTY]} | {r["party"] for r in pages[mapping.MECHANISM]}
        party_ids |= {d["party"] for d in deletions if d["model"] == mapping.MECHANISM and d["party"]}
        party_ids -= {d["record_id"] for d in deletions if d["model"] == mapping.PARTY}
        parties: dict[int, Row] = {}
        if party_ids:
            domain = [("id", "in", sorted(party_ids))]
            rows = await self._tryton.search_read(mapping.PARTY, domain, mapping.PARTY_FIELDS, context=ALL)
            parties = {r["id"]: r for r in rows}
        mechanisms: dict[int, list[Row]] = {}
        if parties:
            for row in await self._tryton.search_read(
                mapping.MECHANISM, [("party", "in", sorted(parties))], mapping.MECHANISM_FIELDS,
                context={"active_test": False},
            ):  # fmt: skip
                mechanisms.setdefault(row["party"], []).append(row)
        for party in parties.values():
            key = (mapping.PARTY, party["id"])
            owned = mechanisms.get(party["id"], [])
            if party["id"] in reps.internal_parties or not party.get("active", True):
                # Not (or no longer) an account: the company's own people, or archived.
                at = mapping.modified_at(party)
                out.append((key, at, mapping.deleted_event(mapping.PARTY, party["id"], at)))
                continue
            event = mapping.account_event(party, owned, reps)
            out.append((key, event.record_upserted.modified_at.ToDatetime(tzinfo=UTC), event))
        for row in pages[mapping.MECHANISM]:
            key = (mapping.MECHANISM, row["id"])
            owner = parties.get(row["party"])
            contact = None
            if owner is not None and row["party"] not in reps.internal_parties and owner.get("active", True):
                contact = mapping.contact_event(row, owner, reps)
            if contact is not None:
                out.append((key, mapping.modified_at(row), contact))
            elif row["type"] == "email" or row.get("write_date"):
                # Archived, no longer an e-mail, or on a party that is not an account.
                at = mapping.modified_at(row)
                out.append((key, at, mapping.deleted_event(mapping.MECHANISM, row["id"], at)))
        for row in deletions:
            if row["model"] in mapping.OBJECT_TYPES:
                key = (row["model"], row["record_id"])
                out.append(
                    (
                        key,
                        row["create_date"],
                        mapping.deleted_event(row["model"], row["record_id"], row["create_date"]),
                    )
                )
        return out

    def _forget_old(self) -> None:
        """Keep only what could be read again (inside the overlap), so memory stays bounded."""
        if len(self._sent) < 50_000:
            return
        horizon = datetime.now(UTC) - 2 * self._overlap
        self._sent = {k: at for k, at in self._sent.items() if at >= horizon}


def _time(row: Row, stream: Stream) -> datetime:
    value = row.get(stream.time_field)
    if isinstance(value, datetime):
        return value
    return mapping.modified_at(row)
