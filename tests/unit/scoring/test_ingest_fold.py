"""Exactly-once in effect: any delivery of the same events (duplicated, reordered, batched any way)
leaves the same state as delivering them once, in order, one by one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.scoring.domain.activities import ActivityRow
from services.scoring.domain.aggregates import Deltas, add_activity, add_crm_write, add_login, add_manual_log
from services.scoring.domain.crm_events import CrmChange, Login
from services.scoring.domain.instants import datetime_to_us
from services.scoring.domain.records import CrmRecord
from services.scoring.operations.ingest import Decoded, IngestService
from tests.unit.scoring.memory_store import MemoryState, MemoryStore
from tests.unit.scoring.world import NOW, decoded_history

HISTORY = decoded_history()


async def deliver_in_memory(batches: Sequence[Sequence[Decoded]]) -> MemoryState:
    store = MemoryStore()
    service = IngestService(store, now_us=lambda: datetime_to_us(NOW))
    for batch in batches:
        await service.apply(batch)
    return store.state


def deliver(batches: Sequence[Sequence[Decoded]]) -> MemoryState:
    return asyncio.run(deliver_in_memory(batches))


def one_by_one(events: Sequence[Decoded]) -> MemoryState:
    return deliver([[e] for e in events])


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Decoded], list[list[Decoded]]]:
    """A subset of the history (in order), and a delivery of it: duplicated, shuffled, batched."""
    chosen = draw(st.lists(st.sampled_from(range(len(HISTORY))), unique=True, min_size=1).map(sorted))
    in_order = [HISTORY[i] for i in chosen]
    duplicates = draw(st.lists(st.sampled_from(in_order), max_size=8))
    shuffled = draw(st.permutations(in_order + duplicates))
    batches: list[list[Decoded]] = []
    while shuffled:
        size = draw(st.integers(min_value=1, max_value=8))
        batches.append(shuffled[:size])
        shuffled = shuffled[size:]
    return in_order, batches


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deliveries())
def test_any_delivery_ends_in_the_in_order_state(case: tuple[list[Decoded], list[list[Decoded]]]) -> None:
    in_order, batches = case
    expected = one_by_one(in_order)
    actual = deliver(batches)
    assert actual.comparable(with_feed=False) == expected.comparable(with_feed=False)


def test_the_whole_history_reversed_in_one_batch_matches_in_order() -> None:
    expected = one_by_one(HISTORY)
    assert deliver([list(reversed(HISTORY))]).comparable(with_feed=False) == expected.comparable(
        with_feed=False
    )
    assert deliver([HISTORY + HISTORY]).comparable(with_feed=False) == expected.comparable(with_feed=False)


def _recount(state: MemoryState, events: Sequence[Decoded]) -> Deltas:
    """The day counters computed from scratch from the final rows and the unique events."""
    expected = Deltas()
    for row in state.activities.values():
        add_activity(expected, row, +1)
    for log in state.manual_logs.values():
        add_manual_log(expected, log.tenant_id, log.rep_id, log.log, +1)
    seen: set[tuple[str, str]] = set()
    for event in events:
        if not isinstance(event, CrmChange) or (event.tenant_id, event.event_id) in seen:
            continue
        seen.add((event.tenant_id, event.event_id))
        if isinstance(event.body, Login):
            add_login(expected, event.tenant_id, event.rep_id, event.body.login_us)
        elif isinstance(event.body, CrmRecord) and event.actor_rep_id:
            add_crm_write(expected, event.tenant_id, event.actor_rep_id, event.body.modified_us)
    return expected


def test_counters_equal_a_recount_of_the_final_rows() -> None:
    state = deliver([HISTORY[i : i + 5] for i in range(0, len(HISTORY), 5)] + [HISTORY])
    recount = _recount(state, HISTORY)
    assert state.rep_days == dict(recount.nonzero_rep_days())
    assert state.opportunity_days == dict(recount.nonzero_opportunity_days())


def test_feed_positions_are_unique_and_within_what_was_allocated() -> None:
    state = deliver([HISTORY[i : i + 3] for i in range(0, len(HISTORY), 3)])
    by_tenant: dict[str, list[int]] = {}
    for row in state.activities.values():
        if row.feed_sequence:
            by_tenant.setdefault(row.tenant_id, []).append(row.feed_sequence)
    assert by_tenant
    for tenant, positions in by_tenant.items():
        assert len(positions) == len(set(positions))
        assert max(positions) <= state.feed_last[tenant]


def _row(state: MemoryState, item: str, tenant: str = "t1") -> ActivityRow:
    from services.sandbox.synthetic.events import digest

    wanted = {digest(tenant, "MICROSOFT", f"{rep}@acme.example", item) for rep in ("r1", "r2")}
    return next(r for r in state.activities.values() if r.id in wanted)


def test_the_final_matches_are_the_ones_a_reader_expects() -> None:
    state = one_by_one(HISTORY)
    e1 = _row(state, "e1")  # x@a1 is c1 (A1) and its duplicate c5 (A2): a tie, broken by account id
    assert e1.match.contact_ids == ("c1", "c5")
    assert e1.match.account_id == "A1"
    assert e1.match.opportunity_id == "O1"
    m2 = _row(state, "m2")  # w@a1 stopped being c4's address, so only the domain is left
    assert (m2.match.contact_ids, m2.match.account_id, m2.match.opportunity_id) == ((), "A1", "O1")
    # v@a1 is c4 now; A4 (a4.example) was deleted; O3 closed on day 8, so it was open on day 4
    e3 = _row(state, "e3")
    assert (e3.match.contact_ids, e3.match.account_id, e3.match.opportunity_id) == (("c4",), "A1", "O3")
    e4 = _row(state, "e4")  # c2 and O2 were deleted: A2 only through its domain
    assert (e4.match.contact_ids, e4.match.account_id, e4.match.opportunity_id) == ((), "A2", "")
    e5 = _row(state, "e5")  # A3 gained a3.example after c3 (without account) was created
    assert (e5.match.contact_ids, e5.match.account_id) == (("c3",), "A3")
    assert _row(state, "e2").is_deletion
    assert _row(state, "m1").is_cancelled
