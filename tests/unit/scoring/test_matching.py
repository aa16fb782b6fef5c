"""Matching rules: each link chosen for the documented reason, with its confidence."""

from __future__ import annotations

from datetime import date

import pytest

from services.scoring.domain.instants import datetime_to_us
from services.scoring.domain.matching import Candidates, Match, decode_links, encode_links, match_activity
from services.scoring.domain.records import ContactRole, CrmRecord, ObjectType
from services.scoring.domain.tenant_settings import DEFAULT_FREE_MAIL_DOMAINS
from tests.unit.scoring.world import at

DAY = datetime_to_us(at(5, 10))


def account(crm_id: str, *domains: str, name: str = "") -> CrmRecord:
    return CrmRecord("t", ObjectType.ACCOUNT, crm_id, (1, "e"), name=name or crm_id, domains=tuple(domains))


def contact(crm_id: str, email: str, account_id: str = "") -> CrmRecord:
    return CrmRecord(
        "t", ObjectType.CONTACT, crm_id, (1, "e"), name=crm_id.title(), email=email, account_crm_id=account_id
    )


def deal(
    crm_id: str,
    account_id: str,
    owner: str = "r1",
    *,
    roles: tuple[ContactRole, ...] = (),
    closed_on: date | None = None,
    modified_us: int = 0,
) -> CrmRecord:
    return CrmRecord(
        "t", ObjectType.OPPORTUNITY, crm_id, (1, "e"), owner_rep_id=owner, name=crm_id,
        account_crm_id=account_id, is_closed=closed_on is not None, close_date=closed_on, contact_roles=roles,
        modified_us=modified_us,
    )  # fmt: skip


def match(*addresses: str, records: list[CrmRecord], previous: Match | None = None, rep: str = "r1") -> Match:
    return match_activity(
        rep_id=rep, occurred_us=DAY, addresses=addresses, candidates=Candidates.from_records(records),
        internal_domains=frozenset({"acme.example"}), free_mail_domains=DEFAULT_FREE_MAIL_DOMAINS,
        previous=previous,
    )  # fmt: skip


def test_contact_by_exact_address_then_its_account_then_the_deal_where_it_has_a_role() -> None:
    records = [
        account("A", "buyer.example", name="Buyer"),
        contact("jane", "jane@buyer.example", "A"),
        deal("big", "A", roles=(ContactRole("jane", "Economic buyer", True),), modified_us=1),
        deal("small", "A", modified_us=9),
    ]
    result = match("jane@buyer.example", records=records)
    assert (result.contact_ids, result.account_id, result.opportunity_id) == (("jane",), "A", "big")
    assert [link.confidence for link in result.links] == [1.0, 0.95, 0.9]
    assert "primary contact on opportunity big" in result.reason
    assert result.confidence == 0.9


def test_account_by_domain_when_nobody_is_a_contact_but_never_by_free_mail_or_internal_domains() -> None:
    records = [account("A", "buyer.example"), account("G", "gmail.com"), deal("only", "A")]
    by_domain = match("new.person@buyer.example", records=records)
    assert (by_domain.contact_ids, by_domain.account_id, by_domain.opportunity_id) == ((), "A", "only")
    assert by_domain.links[0].reason == "the domain buyer.example belongs to account A"
    assert "only open opportunity" in by_domain.links[1].reason
    assert not match("someone@gmail.com", "boss@acme.example", records=records).matched


def test_a_domain_shared_by_accounts_is_a_low_confidence_tie_broken_by_id() -> None:
    result = match(
        "x@shared.example", records=[account("B", "shared.example"), account("A", "shared.example")]
    )
    assert result.account_id == "A"
    assert result.confidence == 0.5 and "probable duplicates" in result.reason


def test_only_the_reps_own_deals_open_on_the_activity_day_are_candidates() -> None:
    records = [
        account("A", "buyer.example"),
        deal("theirs", "A", owner="r2"),
        deal("lost-before", "A", closed_on=date(2026, 11, 1)),
        deal("won-after", "A", closed_on=date(2026, 12, 1)),
    ]
    result = match("x@buyer.example", records=records)
    assert result.opportunity_id == "won-after"  # still open on the day of the activity


def test_among_several_deals_without_a_role_the_most_recent_one_is_chosen_and_then_kept() -> None:
    records = [
        account("A", "buyer.example"),
        deal("old", "A", modified_us=1),
        deal("new", "A", modified_us=5),
    ]
    first = match("x@buyer.example", records=records)
    assert first.opportunity_id == "new" and first.links[-1].confidence == 0.5
    records[2] = deal("new", "A", modified_us=1)
    records[1] = deal("old", "A", modified_us=9)
    assert match("x@buyer.example", records=records, previous=first).opportunity_id == "new"
    assert match("x@buyer.example", records=records).opportunity_id == "old"


def test_duplicate_contacts_are_all_linked_with_lower_confidence() -> None:
    records = [contact("a", "x@buyer.example"), contact("b", "x@buyer.example")]
    result = match("x@buyer.example", records=records)
    assert result.contact_ids == ("a", "b")
    assert {link.confidence for link in result.links} == {0.7}


@pytest.mark.parametrize("reason", ["plain", "with\ttabs and ; semicolons", ""])
def test_links_survive_storage(reason: str) -> None:
    result = match(
        "jane@buyer.example",
        records=[account("A", "buyer.example"), contact("jane", "jane@buyer.example", "A")],
    )
    assert decode_links(encode_links(result.links)) == result.links
