"""Matching a captured activity to CRM records: pure, deterministic, explained in words.

Contact by exact address; account by the contacts' accounts, else by the external participants'
domains (never free-mail or internal ones); then the rep's open opportunity on that account that
was most plausibly meant: a matched contact's role first, then the only one, then the most recently
active. Each link carries its own confidence and reason; the match's confidence is its weakest link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from services.scoring.domain.instants import day_of
from services.scoring.domain.records import ContactRole, CrmRecord, ObjectType, email_domain
from services.scoring.domain.values import value_class

NO_MATCH_REASON = "no external participant is a CRM contact and no account has their domain"


@value_class
class MatchLink:
    object_type: ObjectType
    crm_id: str
    confidence: float
    reason: str


@value_class
class Match:
    contact_ids: tuple[str, ...] = ()
    account_id: str = ""
    opportunity_id: str = ""
    links: tuple[MatchLink, ...] = ()

    @property
    def matched(self) -> bool:
        return bool(self.contact_ids or self.account_id)

    @property
    def confidence(self) -> float:
        return min((link.confidence for link in self.links), default=0.0)

    @property
    def reason(self) -> str:
        return "; ".join(link.reason for link in self.links) if self.links else NO_MATCH_REASON

    def same_records(self, other: Match) -> bool:
        return (self.contact_ids, self.account_id, self.opportunity_id) == (
            other.contact_ids,
            other.account_id,
            other.opportunity_id,
        )


NO_MATCH = Match()
_FIELD, _LINK = "\x1f", "\x1e"  # ASCII unit and record separators: never in ids or reasons


_TYPE_NAMES = {t: t.value for t in ObjectType}  # `.value` on an enum member is slow on hot paths


def encode_links(links: tuple[MatchLink, ...]) -> str:
    """A compact, lossless text form of the links, for storage."""
    return _LINK.join(
        f"{_TYPE_NAMES[link.object_type]}{_FIELD}{link.crm_id}{_FIELD}{link.confidence!r}{_FIELD}{link.reason}"
        for link in links
    )


@lru_cache(maxsize=8192)
def decode_links(text: str) -> tuple[MatchLink, ...]:
    """Cached: many stored matches are the same text (one contact, its account), and links are
    immutable, so decoding each distinct text once per process is enough."""
    if not text:
        return ()
    links = []
    for part in text.split(_LINK):
        object_type, crm_id, confidence, reason = part.split(_FIELD, 3)
        links.append(MatchLink(ObjectType(object_type), crm_id, float(confidence), reason))
    return tuple(links)


def match_from_links(links: tuple[MatchLink, ...]) -> Match:
    """The match the links describe (links are all a match stores)."""
    contacts = tuple(sorted(link.crm_id for link in links if link.object_type is ObjectType.CONTACT))
    account = next((link.crm_id for link in links if link.object_type is ObjectType.ACCOUNT), "")
    opportunity = next((link.crm_id for link in links if link.object_type is ObjectType.OPPORTUNITY), "")
    return Match(contacts, account, opportunity, links)


@value_class
class OpportunityCandidate:
    crm_id: str
    name: str
    account_crm_id: str
    owner_rep_id: str
    is_closed: bool
    close_date: date | None
    contact_roles: tuple[ContactRole, ...]
    last_activity_us: int  # most recent activity on it (or its last change), for the recency rule

    def eligible_for(self, rep_id: str, day: date) -> bool:
        """Owned by the rep and open on the activity's day (a deal closed later was still open then)."""
        if self.owner_rep_id != rep_id:
            return False
        return not self.is_closed or (self.close_date is not None and self.close_date >= day)


@dataclass(frozen=True)
class Candidates:
    """The CRM records an activity could match, indexed the way matching looks them up."""

    contacts_by_email: Mapping[str, tuple[CrmRecord, ...]]
    accounts_by_domain: Mapping[str, tuple[CrmRecord, ...]]
    accounts_by_id: Mapping[str, CrmRecord]
    opportunities_by_account: Mapping[str, tuple[OpportunityCandidate, ...]]
    deleted_account_ids: frozenset[str] = frozenset()
    _links: dict[tuple[str, str, int], MatchLink] = field(default_factory=dict)

    def contact_link(self, address: str, contact: CrmRecord, sharing: int) -> MatchLink:
        """The link to a contact found by `address` (`sharing` contacts have it), built once per batch."""
        key = (address, contact.crm_id, sharing)
        link = self._links.get(key)
        if link is None:
            if sharing == 1:
                reason = f"contact {contact.name or address} has exactly this address ({address})"
                link = MatchLink(ObjectType.CONTACT, contact.crm_id, 1.0, reason)
            else:
                reason = f"{sharing} contacts share the address {address} (probable duplicates)"
                link = MatchLink(ObjectType.CONTACT, contact.crm_id, 0.7, reason)
            self._links[key] = link
        return link

    @classmethod
    def from_records(
        cls, records: Iterable[CrmRecord], last_activity_us: Mapping[str, int] | None = None
    ) -> Candidates:
        """Index live records; `last_activity_us` gives each opportunity's latest activity."""
        last = last_activity_us or {}
        contacts: dict[str, list[CrmRecord]] = {}
        by_domain: dict[str, list[CrmRecord]] = {}
        by_id: dict[str, CrmRecord] = {}
        opportunities: dict[str, list[OpportunityCandidate]] = {}
        deleted_accounts: set[str] = set()
        for r in records:
            if r.deleted:
                if r.object_type is ObjectType.ACCOUNT:
                    deleted_accounts.add(r.crm_id)
                continue
            if r.object_type is ObjectType.CONTACT and r.email:
                contacts.setdefault(r.email, []).append(r)
            elif r.object_type is ObjectType.ACCOUNT:
                by_id[r.crm_id] = r
                for domain in r.domains:
                    by_domain.setdefault(domain, []).append(r)
            elif r.object_type is ObjectType.OPPORTUNITY and r.account_crm_id:
                opportunities.setdefault(r.account_crm_id, []).append(
                    OpportunityCandidate(
                        r.crm_id, r.name, r.account_crm_id, r.owner_rep_id, r.is_closed, r.close_date,
                        r.contact_roles, max(last.get(r.crm_id, 0), r.modified_us),
                    )
                )  # fmt: skip
        return cls(
            {k: tuple(sorted(v, key=_by_id)) for k, v in contacts.items()},
            {k: tuple(sorted(v, key=_by_id)) for k, v in by_domain.items()},
            by_id,
            {k: tuple(sorted(v, key=lambda o: o.crm_id)) for k, v in opportunities.items()},
            frozenset(deleted_accounts),
        )


def _by_id(record: CrmRecord) -> str:
    return record.crm_id


def match_activity(
    *,
    rep_id: str,
    occurred_us: int,
    addresses: Iterable[str],
    candidates: Candidates,
    internal_domains: frozenset[str],
    free_mail_domains: frozenset[str],
    previous: Match | None = None,
) -> Match:
    if internal_domains:
        external = [a for a in addresses if email_domain(a) not in internal_domains]
    else:
        external = list(addresses)
    contact_links: list[MatchLink] = []
    contacts: list[CrmRecord] = []
    seen: set[str] = set()
    for address in external:
        found = candidates.contacts_by_email.get(address, ())
        for contact in found:
            if contact.crm_id in seen:
                continue
            seen.add(contact.crm_id)
            contacts.append(contact)
            contact_links.append(candidates.contact_link(address, contact, len(found)))
    if len(contacts) > 1:
        contacts.sort(key=_by_id)
        contact_links.sort(key=lambda link: link.crm_id)
    contact_ids = tuple([c.crm_id for c in contacts])
    links = tuple(contact_links)
    day = day_of(occurred_us)
    account_link = _account(external, contacts, candidates, free_mail_domains)
    if account_link is None:
        return Match(contact_ids, "", "", links)
    opportunity_link = _opportunity(rep_id, day, account_link, contacts, candidates, previous)
    links = (*links, account_link)
    if opportunity_link is None:
        return Match(contact_ids, account_link.crm_id, "", links)
    return Match(contact_ids, account_link.crm_id, opportunity_link.crm_id, (*links, opportunity_link))


def _account(
    external: list[str],
    contacts: list[CrmRecord],
    candidates: Candidates,
    free_mail_domains: frozenset[str],
) -> MatchLink | None:
    votes: dict[str, float] = {}
    via_contact: dict[str, str] = {}
    for contact in contacts:
        if contact.account_crm_id and contact.account_crm_id not in candidates.deleted_account_ids:
            votes[contact.account_crm_id] = votes.get(contact.account_crm_id, 0.0) + 2.0
            via_contact.setdefault(contact.account_crm_id, contact.name or contact.email)
    via_domain: dict[str, tuple[str, int]] = {}
    for domain in sorted({email_domain(a) for a in external}):
        if domain in free_mail_domains:
            continue
        accounts = candidates.accounts_by_domain.get(domain, ())
        for account in accounts:
            votes[account.crm_id] = votes.get(account.crm_id, 0.0) + 1.0 / len(accounts)
            via_domain.setdefault(account.crm_id, (domain, len(accounts)))
    if not votes:
        return None
    # Only the votes and the id decide, never anything else that can change: every change that can
    # move a vote re-matches the activities it concerns, so the outcome never depends on arrival order.
    chosen = min(votes, key=lambda account_id: (-votes[account_id], account_id))
    chosen_account = candidates.accounts_by_id.get(chosen)
    label = chosen_account.name if chosen_account and chosen_account.name else chosen
    if chosen in via_contact:
        agree = len(votes) == 1
        reason = f"account {label} is the account of contact {via_contact[chosen]}"
        if not agree:
            reason += f" (participants point to {len(votes)} accounts; this one has the most)"
        return MatchLink(ObjectType.ACCOUNT, chosen, 0.95 if agree else 0.75, reason)
    domain, sharing = via_domain[chosen]
    if sharing == 1 and len(votes) == 1:
        return MatchLink(ObjectType.ACCOUNT, chosen, 0.8, f"the domain {domain} belongs to account {label}")
    reason = f"the domain {domain} is on {sharing} accounts (probable duplicates); {label} ranked first"
    return MatchLink(ObjectType.ACCOUNT, chosen, 0.5, reason)


def _opportunity(
    rep_id: str,
    day: date,
    account_link: MatchLink,
    contacts: list[CrmRecord],
    candidates: Candidates,
    previous: Match | None,
) -> MatchLink | None:
    eligible = [
        o
        for o in candidates.opportunities_by_account.get(account_link.crm_id, ())
        if o.eligible_for(rep_id, day)
    ]
    if not eligible:
        return None
    contact_ids = {c.crm_id: c for c in contacts}
    best_role: tuple[tuple[bool, int, str], OpportunityCandidate, ContactRole] | None = None
    for opportunity in eligible:
        for role in opportunity.contact_roles:
            if role.contact_crm_id in contact_ids:
                rank = (not role.is_primary, -opportunity.last_activity_us, opportunity.crm_id)
                if best_role is None or rank < best_role[0]:
                    best_role = (rank, opportunity, role)
    if best_role is not None:
        _, opportunity, role = best_role
        contact = contact_ids[role.contact_crm_id]
        who = contact.name or contact.email
        if role.is_primary:
            reason = f"{who} is the primary contact on opportunity {opportunity.name or opportunity.crm_id}"
            return MatchLink(ObjectType.OPPORTUNITY, opportunity.crm_id, 0.9, reason)
        role_name = role.role or "a contact role"
        reason = f"{who} has {role_name} on opportunity {opportunity.name or opportunity.crm_id}"
        return MatchLink(ObjectType.OPPORTUNITY, opportunity.crm_id, 0.85, reason)
    if len(eligible) == 1:
        only = eligible[0]
        reason = f"{only.name or only.crm_id} is the rep's only open opportunity on this account"
        return MatchLink(ObjectType.OPPORTUNITY, only.crm_id, 0.75, reason)
    # Several deals and nothing to tell them apart: keep an earlier choice while it stays plausible,
    # so an activity does not hop between deals each time one of them is updated.
    if previous is not None and previous.opportunity_id in {o.crm_id for o in eligible}:
        return next(link for link in previous.links if link.object_type is ObjectType.OPPORTUNITY)
    recent = min(eligible, key=lambda o: (-o.last_activity_us, o.crm_id))
    reason = (
        f"{recent.name or recent.crm_id} is the most recently active of the rep's "
        f"{len(eligible)} open opportunities on this account"
    )
    return MatchLink(ObjectType.OPPORTUNITY, recent.crm_id, 0.5, reason)
