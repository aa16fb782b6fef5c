from __future__ import annotations

import pytest

from services.capture.domain.items import CapturedItem, Direction, Sensitivity
from services.capture.domain.privacy import CapturePolicy, DomainSet, DropReason, Exclusions, drop_reason
from tests.unit.capture.builders import OWNER, email, meeting

TENANT = CapturePolicy(internal_domains=DomainSet.of(["acme.example", "acme-corp.example"]))


NONE = Exclusions()


def with_exclusions(*, tenant: Exclusions = NONE, rep: Exclusions = NONE) -> CapturePolicy:
    return CapturePolicy(
        internal_domains=TENANT.internal_domains, tenant_exclusions=tenant, rep_exclusions=rep
    )


@pytest.mark.parametrize(
    ("item", "policy", "expected"),
    [
        pytest.param(email(), TENANT, None, id="external received mail is captured"),
        pytest.param(
            email(direction=Direction.SENT, sender=OWNER, to=("buyer@customer.example",)),
            TENANT,
            None,
            id="external sent mail is captured",
        ),
        pytest.param(email(is_draft=True), TENANT, DropReason.DRAFT, id="draft"),
        pytest.param(
            email(sender="bob@acme.example", to=(OWNER,), cc=("eve@eu.acme-corp.example",)),
            TENANT,
            DropReason.INTERNAL_ONLY,
            id="internal-only thread, subdomain of an internal domain",
        ),
        pytest.param(
            email(sender="bob@ACME.example", to=(OWNER,)),
            CapturePolicy(),
            DropReason.INTERNAL_ONLY,
            id="the mailbox's own domain is internal even with no policy",
        ),
        pytest.param(
            email(sender="bob@acme.example", cc=("buyer@customer.example",)),
            TENANT,
            None,
            id="one external participant makes it customer activity",
        ),
        pytest.param(meeting(), TENANT, None, id="external meeting"),
        pytest.param(
            meeting(sensitivity=Sensitivity.PRIVATE), TENANT, DropReason.PRIVATE, id="private meeting"
        ),
        pytest.param(
            meeting(sensitivity=Sensitivity.PERSONAL), TENANT, DropReason.PRIVATE, id="personal meeting"
        ),
        pytest.param(
            meeting(sensitivity=Sensitivity.CONFIDENTIAL),
            TENANT,
            DropReason.PRIVATE,
            id="confidential meeting",
        ),
        pytest.param(
            meeting(attendees=("bob@acme.example",)), TENANT, DropReason.INTERNAL_ONLY, id="internal meeting"
        ),
        pytest.param(
            email(sender="lawyer@counsel.example"),
            with_exclusions(tenant=Exclusions.of(domains=["counsel.example"])),
            DropReason.EXCLUDED,
            id="tenant-excluded domain",
        ),
        pytest.param(
            email(sender="lawyer@eu.counsel.example"),
            with_exclusions(tenant=Exclusions.of(domains=["@Counsel.Example"])),
            DropReason.EXCLUDED,
            id="subdomain of an excluded domain",
        ),
        pytest.param(
            email(sender="lawyer@notcounsel.example"),
            with_exclusions(tenant=Exclusions.of(domains=["counsel.example"])),
            None,
            id="a domain that merely ends with the same letters is not excluded",
        ),
        pytest.param(
            email(cc=("Spouse@Home.example",)),
            with_exclusions(rep=Exclusions.of(addresses=["spouse@home.example"])),
            DropReason.EXCLUDED,
            id="rep-excluded address anywhere in the thread drops it whole",
        ),
        pytest.param(
            email(),
            with_exclusions(tenant=Exclusions.of(domains=["acme.example"])),
            None,
            id="the mailbox owner is never checked against exclusions",
        ),
        pytest.param(
            meeting(attendees=("buyer@customer.example", "x@blocked.example")),
            with_exclusions(rep=Exclusions.of(domains=["blocked.example"])),
            DropReason.EXCLUDED,
            id="excluded meeting attendee",
        ),
    ],
)
def test_drop_reason(item: CapturedItem, policy: CapturePolicy, expected: DropReason | None) -> None:
    assert drop_reason(item, policy=policy, mailbox=OWNER) == expected


@pytest.mark.parametrize(
    ("domain", "inside"),
    [
        pytest.param("acme.example", True, id="exact"),
        pytest.param("sales.eu.acme.example", True, id="nested subdomain"),
        pytest.param("ACME.EXAMPLE.", True, id="case and trailing dot"),
        pytest.param("evilacme.example", False, id="suffix without a dot"),
        pytest.param("example", False, id="parent"),
        pytest.param("", False, id="empty"),
    ],
)
def test_domain_set_contains_subdomains(domain: str, inside: bool) -> None:
    assert (domain in DomainSet.of(["acme.example"])) is inside


def test_remembered_answers_stay_right_past_their_bound() -> None:
    """Domain and exclusion answers are remembered per policy (bounded, cleared when full): asked
    again, and after many other domains pushed them out, they are the same as worked out afresh."""
    policy = with_exclusions(
        tenant=Exclusions.of(domains=["rival.example"], addresses=["cfo@customer.example"])
    )
    internal = policy.internal_for(OWNER)
    asked = [
        f"d{i}.{'sub.acme.example' if i % 3 == 0 else 'rival.example' if i % 3 == 1 else 'x.example'}"
        for i in range(9000)
    ]
    for _ in range(2):
        for domain in asked:
            assert (domain in internal) == domain.endswith("acme.example")
            assert policy.excludes(f"a@{domain}") == domain.endswith("rival.example")
        assert policy.excludes("cfo@customer.example") and not policy.excludes("ceo@customer.example")
        assert " Sub.ACME.example. " in internal and "acme.example.evil" not in internal
    assert policy.internal_for(OWNER) is internal
