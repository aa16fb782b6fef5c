"""Which items may leave capture at all. Applied before normalization, so before anything reaches Kafka.

Rules, in order (the first that matches drops the item):
1. drafts are not activity;
2. private, personal and confidential meetings are never captured;
3. an item with any participant on the tenant's or the rep's exclusion lists is dropped whole
   (an excluded domain also excludes its subdomains); the mailbox owner is never checked against
   them, so excluding one's own domain cannot silently switch capture off;
4. internal-only items (every participant in the tenant's own domains) are not customer activity.

An out-of-office entry is none of these: it is published as the away period alone (start and end,
no participant, no subject), so it passes whatever its sensitivity or attendees, and nothing of it
but its times leaves capture (`normalize.to_activity`).

Internal domains are the tenant's configured ones plus the mailbox's own domain, subdomains included.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.capture.domain.items import CapturedItem, EmailItem, MeetingItem, Sensitivity


class CaptureLevel(enum.Enum):
    METADATA = "metadata"  # addresses, times, kinds
    SUBJECT = "subject"  # metadata plus subjects


class DropReason(enum.Enum):
    DRAFT = "draft"
    PRIVATE = "private"
    EXCLUDED = "excluded"
    INTERNAL_ONLY = "internal_only"


_PRIVATE = frozenset({Sensitivity.PRIVATE, Sensitivity.PERSONAL, Sensitivity.CONFIDENTIAL})


def _normalize_domain(domain: str) -> str:
    return domain.strip().lower().lstrip("@").rstrip(".")


_MAX_ANSWERS = 4096


@dataclass(frozen=True)
class DomainSet:
    """A set of domains that also contains every subdomain of its members."""

    domains: frozenset[str] = frozenset()
    # Answers already worked out, by the domain asked about: the filter asks about the same few
    # domains for every participant of every item, and a domain outside the set (a customer's) costs
    # a normalization and a walk up its parents each time. Not part of the value.
    _answers: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @classmethod
    def of(cls, domains: Iterable[str]) -> DomainSet:
        return cls(frozenset(d for d in (_normalize_domain(x) for x in domains) if d))

    def __contains__(self, domain: object) -> bool:
        if not isinstance(domain, str):
            return False
        answer = self._answers.get(domain)
        if answer is None:
            answer = self._contains(domain)
            if len(self._answers) >= _MAX_ANSWERS:
                self._answers.clear()  # bounded: the domains asked about are few, but not known
            self._answers[domain] = answer
        return answer

    def _contains(self, domain: str) -> bool:
        if domain in self.domains:  # the common case: an exact, already normalized match
            return True
        candidate = _normalize_domain(domain)
        while candidate:
            if candidate in self.domains:
                return True
            _, dot, candidate = candidate.partition(".")
            if not dot:
                return False
        return False

    def union(self, other: Iterable[str]) -> DomainSet:
        return DomainSet(self.domains | DomainSet.of(other).domains)


@dataclass(frozen=True)
class Exclusions:
    addresses: frozenset[str] = frozenset()
    domains: DomainSet = DomainSet()

    @classmethod
    def of(cls, *, addresses: Iterable[str] = (), domains: Iterable[str] = ()) -> Exclusions:
        return cls(frozenset(a.strip().lower() for a in addresses if a.strip()), DomainSet.of(domains))

    def excludes(self, address: str) -> bool:
        return address in self.addresses or address.rpartition("@")[2] in self.domains


@dataclass(frozen=True)
class CapturePolicy:
    """The tenant's policy together with the rep's own exclusions, for one mailbox."""

    level: CaptureLevel = CaptureLevel.METADATA
    internal_domains: DomainSet = DomainSet()
    tenant_exclusions: Exclusions = Exclusions()
    rep_exclusions: Exclusions = Exclusions()
    # Worked out once per policy (the engine caches a rep's policy for its mailboxes' passes, and a
    # changed policy is a new value with none of these): the internal domains of each mailbox,
    # so their remembered answers carry from page to page, and the exclusion verdict per address,
    # asked for every participant of every item. Not part of the value.
    _internal: dict[str, DomainSet] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _excluded: dict[str, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def internal_for(self, mailbox: str) -> DomainSet:
        internal = self._internal.get(mailbox)
        if internal is None:
            internal = self.internal_domains.union([mailbox.rpartition("@")[2]])
            if len(self._internal) >= _MAX_ANSWERS:
                self._internal.clear()
            self._internal[mailbox] = internal
        return internal

    def excludes(self, address: str) -> bool:
        """Is `address` on the tenant's or the rep's exclusion lists?"""
        verdict = self._excluded.get(address)
        if verdict is None:
            verdict = self.tenant_exclusions.excludes(address) or self.rep_exclusions.excludes(address)
            if len(self._excluded) >= _MAX_ANSWERS:
                self._excluded.clear()
            self._excluded[address] = verdict
        return verdict


def drop_reason(
    item: CapturedItem, *, policy: CapturePolicy, mailbox: str, internal: DomainSet | None = None
) -> DropReason | None:
    """Why `item` must not be captured for `mailbox`, or None when it may be.

    `internal` is `policy.internal_for(mailbox)`, passed in by callers that filter many items.
    """
    if isinstance(item, EmailItem) and item.is_draft:
        return DropReason.DRAFT
    if isinstance(item, MeetingItem) and item.is_away:
        return None
    if isinstance(item, MeetingItem) and item.sensitivity in _PRIVATE:
        return DropReason.PRIVATE
    owner = mailbox.lower()
    people = item.people()
    for p in people:
        if p.address == owner:
            continue
        if policy.excludes(p.address):
            return DropReason.EXCLUDED
    internal = internal if internal is not None else policy.internal_for(owner)
    if all(p.domain in internal for p in people):
        return DropReason.INTERNAL_ONLY
    return None
