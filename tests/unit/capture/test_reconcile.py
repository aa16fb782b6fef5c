from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from services.capture.domain.items import Change, ItemGone, ItemKind, ItemSeen, KnownItem, Sensitivity
from services.capture.domain.privacy import CaptureLevel, CapturePolicy, DomainSet, DropReason
from services.capture.domain.reconcile import PagePlan, plan_page
from tests.unit.capture.builders import T0, WHO, email, meeting

POLICY = CapturePolicy(internal_domains=DomainSet.of(["acme.example"]))


def plan(
    changes: Sequence[Change], known: dict[str, KnownItem] | None = None, policy: CapturePolicy = POLICY
) -> PagePlan:
    return plan_page(
        changes, known=known or {}, stream="s", policy=policy, who=WHO, observed_at=T0 + timedelta(days=1)
    )


def remembered(changes: Sequence[Change]) -> dict[str, KnownItem]:
    return {k.item_id: k for k in plan(changes).remember}


def test_new_items_are_published_and_remembered() -> None:
    result = plan([ItemSeen(email("m1")), ItemSeen(meeting("e1"))])
    assert [a.provider_ids.item_id for a in result.publish] == ["m1", "e1"]
    assert [k.item_id for k in result.remember] == ["m1", "e1"]
    assert result.forget == []


@pytest.mark.parametrize(
    ("later", "published"),
    [
        pytest.param(email("m1"), False, id="replay of the same version publishes nothing"),
        pytest.param(
            email("m1", modified=timedelta(minutes=5)), False, id="read flag: new time, same content"
        ),
        pytest.param(email("m1", cc=("cfo@customer.example",)), True, id="real change is published"),
    ],
)
def test_only_changed_content_is_published_again(later: object, published: bool) -> None:
    known = remembered([ItemSeen(email("m1"))])
    result = plan([ItemSeen(later)], known)  # type: ignore[arg-type]
    assert bool(result.publish) is published
    assert [k.item_id for k in result.remember] == ["m1"]


def test_deleting_a_published_item_retracts_it_and_forgets_it() -> None:
    known = remembered([ItemSeen(meeting("e1"))])
    result = plan([ItemGone(ItemKind.MEETING, "e1")], known)
    assert [(a.provider_ids.item_id, a.is_deletion) for a in result.publish] == [("e1", True)]
    assert result.forget == ["e1"]


def test_gone_or_dropped_items_never_published_leave_no_trace() -> None:
    result = plan(
        [ItemGone(ItemKind.EMAIL, "never-seen"), ItemSeen(meeting("p", sensitivity=Sensitivity.PRIVATE))]
    )
    assert result.publish == []
    assert result.remember == []
    assert result.forget == []
    assert result.dropped == {DropReason.PRIVATE: 1}


def test_an_item_that_turns_private_is_retracted() -> None:
    known = remembered([ItemSeen(meeting("e1"))])
    result = plan(
        [ItemSeen(meeting("e1", sensitivity=Sensitivity.PRIVATE, modified=timedelta(minutes=1)))], known
    )
    assert [a.is_deletion for a in result.publish] == [True]
    assert result.forget == ["e1"]
    assert result.retracted == 1


def test_same_item_twice_in_one_page_is_published_once() -> None:
    result = plan([ItemSeen(email("m1")), ItemSeen(email("m1"))])
    assert len(result.publish) == 1
    assert result.unchanged == 1
    assert len(result.remember) == 1


def test_cancellation_is_a_new_version_not_a_deletion() -> None:
    known = remembered([ItemSeen(meeting("e1"))])
    result = plan([ItemSeen(meeting("e1", is_cancelled=True, modified=timedelta(hours=1)))], known)
    assert [(a.is_cancelled, a.is_deletion) for a in result.publish] == [(True, False)]


def test_snapshot_keeps_no_subject_at_metadata_level() -> None:
    metadata = plan([ItemSeen(email("m1"))]).remember[0]
    subjects = plan([ItemSeen(email("m1"))], policy=CapturePolicy(level=CaptureLevel.SUBJECT)).remember[0]
    assert metadata.snapshot is not None and metadata.snapshot.subject is None
    assert subjects.snapshot is not None and subjects.snapshot.subject == "Pricing"
