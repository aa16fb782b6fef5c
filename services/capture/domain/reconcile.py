"""Decides, for one page of provider changes, what to publish and what capture must remember.

This is the heart of "nothing lost, nothing doubled" on capture's side, kept pure:
- an item that passes the privacy filter is published when what it says changed (content hash), so
  replays, read-flag toggles and resyncs of unchanged items publish nothing;
- an item published earlier that is now gone, or may no longer be captured (it turned private or
  internal-only, or matches a new exclusion), is retracted with a deletion marker;
- an item never published leaves no trace when it is dropped or gone.

The caller publishes `publish`, waits for the broker's acknowledgement, and only then stores
`remember` / `forget` together with the stream's cursor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.items import (
    CapturedItem,
    Change,
    EmailItem,
    ItemGone,
    KnownItem,
    without_subject,
)
from services.capture.domain.normalize import MailboxIdentity, retraction, to_activity
from services.capture.domain.privacy import CaptureLevel, CapturePolicy, DropReason, drop_reason
from services.capture.domain.quarantine import Rejected, check_item, reason_of


@dataclass
class PagePlan:
    publish: list[activity_pb2.Activity] = field(default_factory=list)
    remember: list[KnownItem] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)
    dropped: Counter[DropReason] = field(default_factory=Counter)
    unchanged: int = 0
    retracted: int = 0
    # Quarantined items (unreadable or absurd): counted and dead-lettered, never published.
    rejected: list[Rejected] = field(default_factory=list)


def _minimized(item: CapturedItem, level: CaptureLevel) -> CapturedItem:
    """What capture keeps of an item: no subject unless the tenant captures subjects."""
    if level is CaptureLevel.SUBJECT or item.subject is None:
        return item
    return without_subject(item)


def plan_page(
    changes: Sequence[Change],
    *,
    known: Mapping[str, KnownItem],
    stream: str,
    policy: CapturePolicy,
    who: MailboxIdentity,
    observed_at: datetime,
    snapshots: bool = True,
) -> PagePlan:
    """`snapshots` False: what is remembered carries no snapshot (the stream never merges)."""
    plan = PagePlan()
    # Later changes to the same item in one page see the effect of earlier ones (replayed items).
    current: dict[str, KnownItem | None] = {}

    def previous(item_id: str) -> KnownItem | None:
        return current[item_id] if item_id in current else known.get(item_id)

    internal = policy.internal_for(who.mailbox)
    for change in changes:
        if isinstance(change, ItemGone):
            before = previous(change.item_id)
            if before is not None:
                plan.publish.append(retraction(before, who=who, observed_at=observed_at))
                plan.retracted += 1
            current[change.item_id] = None
            continue
        item = change.item
        rejection = check_item(item, now=observed_at)
        if rejection is not None:
            # What was published before stays as it was: a corrupt version never replaces it.
            plan.rejected.append(Rejected(item.item_id, rejection))
            continue
        before = previous(item.item_id)
        reason = drop_reason(item, policy=policy, mailbox=who.mailbox, internal=internal)
        if reason is not None:
            plan.dropped[reason] += 1
            if before is not None:
                plan.publish.append(retraction(before, who=who, observed_at=observed_at))
                plan.retracted += 1
            current[item.item_id] = None
            continue
        try:
            normalized = to_activity(
                item, who=who, level=policy.level, internal=internal, observed_at=observed_at
            )
        except (ValueError, TypeError) as exc:  # what the checks above did not foresee
            plan.rejected.append(Rejected(item.item_id, reason_of(exc)))
            continue
        digest = normalized.content_hash
        if before is not None and before.content_hash == digest:
            plan.unchanged += 1
        else:
            plan.publish.append(normalized.activity)
        current[item.item_id] = KnownItem(
            item_id=item.item_id,
            stream=stream,
            kind=item.kind,
            occurred_at=item.occurred_at,
            modified_at=item.modified_at,
            content_hash=digest,
            direction=item.direction if isinstance(item, EmailItem) else None,
            snapshot=_minimized(item, policy.level) if snapshots else None,
        )
    for item_id, state in current.items():
        if state is None:
            if item_id in known:
                plan.forget.append(item_id)
        else:
            plan.remember.append(state)
    return plan
