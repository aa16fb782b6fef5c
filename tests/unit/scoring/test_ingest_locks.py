"""Which locks a batch takes: rep-local work holds the tenant shared and a key per rep (and per
manual log); CRM record and configuration changes, or too many keys, hold the tenant exclusively."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.crm_events import CrmChange, ManualLog
from services.scoring.domain.ingest_locks import (
    LockScope,
    is_tenant_wide,
    lock_budget,
    lock_scope,
    manual_log_key,
    rep_key,
    split_by_reach,
)
from services.scoring.operations.ingest import Decoded
from tests.unit.scoring.test_ingest_fold import HISTORY

LOCAL = [e for e in HISTORY if not is_tenant_wide(e)]


def test_rep_local_events_hold_the_tenant_shared_with_one_key_per_rep_and_manual_log() -> None:
    scope = lock_scope(LOCAL, max_keys=1000)
    logs = {
        manual_log_key(e.tenant_id, e.body.crm_activity_id)
        for e in LOCAL
        if isinstance(e, CrmChange) and isinstance(e.body, ManualLog)
    }
    reps = {rep_key((e.tenant_id, e.rep_id)) for e in LOCAL}
    assert not scope.exclusive
    assert scope.tenants == tuple(sorted({e.tenant_id for e in LOCAL}))
    assert set(scope.keys) == reps | logs and list(scope.keys) == sorted(scope.keys)
    assert all(scope.covers((e.tenant_id, e.rep_id)) for e in LOCAL)
    assert not scope.covers(("t1", "someone else"))


def test_more_keys_than_the_budget_take_the_tenant_exclusively() -> None:
    needed = len(lock_scope(LOCAL, max_keys=1000).keys)
    assert not lock_scope(LOCAL, max_keys=needed).exclusive
    assert lock_scope(LOCAL, max_keys=needed - 1) == LockScope(("t1", "t2"), exclusive=True)
    assert lock_scope(LOCAL, max_keys=needed - 1).covers(("t1", "someone else"))


@given(st.lists(st.sampled_from(HISTORY), max_size=20))
def test_any_tenant_wide_event_makes_the_batch_exclusive_and_the_split_keeps_every_event(
    batch: list[Decoded],
) -> None:
    wide, local = split_by_reach(batch)
    assert sorted(map(id, wide + local)) == sorted(map(id, batch))
    assert all(is_tenant_wide(e) for e in wide) and not any(is_tenant_wide(e) for e in local)
    assert lock_scope(batch, max_keys=1000).exclusive == bool(wide)


def test_the_budget_is_an_eighth_of_the_shared_lock_table() -> None:
    assert lock_budget(64, 100, 0) == 800
    assert lock_budget(64, 100, 10) == 880
    assert lock_budget(1, 1, 0) == 1
