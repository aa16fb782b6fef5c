"""Pure decisions for activities: (re)match them, derive their rows, counters and feed needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from services.scoring.domain.activities import ActivityRow, CapturedActivity
from services.scoring.domain.aggregates import Deltas, add_activity
from services.scoring.domain.matching import Candidates, Match, match_activity
from services.scoring.domain.records import email_domain
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.domain.values import value_class

# (tenant, address, activity id, rep, occurred_us): one indexed external address of an activity.
AddressEntry: TypeAlias = tuple[str, str, str, str, int]

# Marks a row that needs a new position in the feed; replaced by the real one in `assign_feed`.
NEEDS_FEED = -1


@value_class
class ActivityWork:
    """An activity to match: a new version (`captured`), or a stored row to match again."""

    captured: CapturedActivity | None
    stored: ActivityRow | None


@dataclass
class ActivityChanges:
    rows: list[ActivityRow] = field(default_factory=list)  # new versions (full rows)
    new_ids: set[str] = field(default_factory=set)  # of those, activities not stored before
    rematched: list[ActivityRow] = field(default_factory=list)  # same version, new match or feed position
    addresses_removed: list[AddressEntry] = field(default_factory=list)
    addresses_added: list[AddressEntry] = field(default_factory=list)
    deltas: Deltas = field(default_factory=Deltas)

    def feed_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in (*self.rows, *self.rematched):
            if row.feed_sequence == NEEDS_FEED:
                counts[row.tenant_id] = counts.get(row.tenant_id, 0) + 1
        return counts


def plan_activities(
    works: Iterable[ActivityWork],
    candidates: Mapping[str, Candidates],
    settings: Mapping[str, TenantSettings],
) -> ActivityChanges:
    changes = ActivityChanges()
    for work in works:
        if work.captured is not None:
            _plan_new_version(work.captured, work.stored, candidates, settings, changes)
        elif work.stored is not None:
            _plan_rematch(work.stored, candidates, settings, changes)
    return changes


def _match(
    tenant_id: str,
    rep_id: str,
    occurred_us: int,
    addresses: tuple[str, ...],
    previous: Match | None,
    candidates: Mapping[str, Candidates],
    settings: Mapping[str, TenantSettings],
) -> Match:
    tenant = settings[tenant_id]
    return match_activity(
        rep_id=rep_id,
        occurred_us=occurred_us,
        addresses=addresses,
        candidates=candidates[tenant_id],
        internal_domains=tenant.internal_domains,
        free_mail_domains=tenant.free_mail_domains,
        previous=previous,
    )


def _feed_position(new: Match, stored: ActivityRow | None, changed: bool) -> int:
    """A new position when what a plugin would write changed and the activity belongs in the feed."""
    fed_before = stored is not None and stored.feed_sequence > 0
    if changed and (new.matched or fed_before):
        return NEEDS_FEED
    return stored.feed_sequence if stored else 0


def _plan_new_version(
    captured: CapturedActivity,
    stored: ActivityRow | None,
    candidates: Mapping[str, Candidates],
    settings: Mapping[str, TenantSettings],
    changes: ActivityChanges,
) -> None:
    addresses = captured.external_addresses
    match = _match(
        captured.tenant_id, captured.rep_id, captured.occurred_us, addresses,
        stored.match if stored else None, candidates, settings,
    )  # fmt: skip
    internal = settings[captured.tenant_id].internal_domains
    row = ActivityRow(
        id=captured.id,
        tenant_id=captured.tenant_id,
        rep_id=captured.rep_id,
        kind=captured.kind,
        provider=captured.provider,
        occurred_us=captured.occurred_us,
        version=captured.version,
        is_cancelled=captured.is_cancelled,
        is_deletion=captured.is_deletion,
        counts_as_meeting=captured.counts_as_meeting,
        is_external=_any_external(addresses, internal),
        match=match,
        addresses=addresses,
        feed_sequence=_feed_position(match, stored, changed=True),
        payload=captured.payload,
    )
    changes.rows.append(row)
    if stored is None:
        changes.new_ids.add(row.id)
    else:
        add_activity(changes.deltas, stored, -1)
    add_activity(changes.deltas, row, +1)
    if stored is None or (stored.addresses, stored.rep_id, stored.occurred_us) != (
        row.addresses,
        row.rep_id,
        row.occurred_us,
    ):
        if stored is not None:
            changes.addresses_removed += _address_entries(stored)
        changes.addresses_added += _address_entries(row)


def _plan_rematch(
    stored: ActivityRow,
    candidates: Mapping[str, Candidates],
    settings: Mapping[str, TenantSettings],
    changes: ActivityChanges,
) -> None:
    match = _match(
        stored.tenant_id, stored.rep_id, stored.occurred_us, stored.addresses, stored.match,
        candidates, settings,
    )  # fmt: skip
    if match == stored.match:
        return
    changed = not stored.match.same_records(match)
    row = stored.with_match(match, _feed_position(match, stored, changed))
    changes.rematched.append(row)
    add_activity(changes.deltas, stored, -1)
    add_activity(changes.deltas, row, +1)


def _any_external(addresses: tuple[str, ...], internal: frozenset[str]) -> bool:
    if not internal:  # capture already marked internal participants; nothing more to exclude
        return bool(addresses)
    return any(email_domain(a) not in internal for a in addresses)


def _address_entries(row: ActivityRow) -> list[AddressEntry]:
    return [(row.tenant_id, a, row.id, row.rep_id, row.occurred_us) for a in row.addresses]


def assign_feed(changes: ActivityChanges, first_positions: Mapping[str, int]) -> None:
    """Give the rows that need one a feed position, in order of occurrence (then id) per tenant."""
    waiting = sorted(
        (row.tenant_id, row.occurred_us, row.id, is_new, index)
        for is_new, rows in ((True, changes.rows), (False, changes.rematched))
        for index, row in enumerate(rows)
        if row.feed_sequence == NEEDS_FEED
    )
    next_position = dict(first_positions)
    for tenant, _, _, is_new, index in waiting:
        rows = changes.rows if is_new else changes.rematched
        rows[index] = rows[index].with_feed_sequence(next_position[tenant])
        next_position[tenant] += 1
