"""What rescoring needs from storage: the inputs of every rep, the stored scores, the dirty marks."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import TenantSettings


@dataclass(frozen=True)
class DirtyMarks:
    """The marks read at the start of a pass; only these are cleared at its end."""

    reps: list[str]
    marks: list[int]


class ScoreTransaction(Protocol):
    """One rescore transaction on a connection of its own; nothing it writes is visible to others
    before it commits. Every method may block on the database and raises on failure."""

    async def stored_hashes(self, tenant_id: str, reps: Collection[str] | None) -> dict[str, bytes]:
        """Content hash of each stored score (of every rep of the tenant when `reps` is None)."""

    async def save_scores(
        self, results: Sequence[RepScoreResult], *, computed_at: datetime, hashes: Mapping[str, bytes]
    ) -> None:
        """Store these (changed) scores and this week's snapshot of them; `hashes` are the results'
        content hashes by rep. The relay publishes them after commit."""

    async def clear_dirty(self, tenant_id: str, marks: DirtyMarks) -> None:
        """Clear exactly these marks: a rep marked again since they were read stays dirty."""

    async def record_full_rescore(
        self, tenant_id: str, day: date, at: datetime, requested_at: datetime | None
    ) -> None:
        """Note the full pass of `day`, and answer the request for one made at `requested_at`."""


class ScoreStore(Protocol):
    """Reads for a rescore pass and its transaction. Reads may run at once on several connections
    (each is its own snapshot); every method may block on the database and raises on failure."""

    async def refresh_statistics(self) -> list[str]:
        """Give tables that grew a lot fresh planner statistics; returns their names."""

    async def rescore_requested_at(self, tenant_id: str) -> datetime | None:
        """When a full rescore of the tenant was asked for (erasure, an administrator), if it was."""

    async def dirty_marks(self, tenant_id: str) -> DirtyMarks:
        """The reps marked for rescoring since their last pass, with their marks."""

    async def rep_inputs(
        self, settings: TenantSettings, *, as_of: date, reps: Collection[str] | None
    ) -> list[RepInputs]:
        """Inputs of `reps` (every rep known to the tenant when None), as of the end of `as_of`."""

    async def records_created(self, tenant_id: str, *, since: date, until: date) -> dict[str, int]:
        """Contacts, accounts and opportunities created in the CRM per owner, on days since..until."""

    async def contacts_created(self, tenant_id: str, *, since: date, until: date) -> dict[str, int]:
        """Contacts created in the CRM per owner, on days since..until."""

    async def crm_views(
        self, tenant_id: str, *, since: date, until: date
    ) -> list[tuple[str, date, str, int]]:
        """Leadership signals (rep, day, kind, views) on days since..until (migration 0009)."""

    def transaction(self) -> AbstractAsyncContextManager[ScoreTransaction]:
        """One transaction, holding its connection from the start of the block (reads started
        meanwhile wait for the others); commits when the block exits normally, rolls back when it
        raises."""

    async def tenants_due(self, today: date) -> tuple[set[str], set[str]]:
        """Tenants due for a full rescore (asked for, or not rescored `today`), and the other tenants
        with dirty reps."""

    async def tenant_due(self, tenant_id: str, today: date) -> tuple[bool, bool]:
        """One tenant's answer to `tenants_due`, read now: (due for a full rescore, has dirty reps)."""

    async def fully_rescored_since(self, since: datetime) -> set[str]:
        """Tenants whose last full rescore ran after `since`."""

    async def prune_dedupe_keys(self, *, older_than: datetime) -> int:
        """Forget CRM event dedupe keys stored before `older_than` (a bounded number per call)."""


class RescoreClaims(Protocol):
    """Which process rescores a tenant now, so N processes share the periodic passes and none
    rescores a tenant another is rescoring. A claim goes with its process when that dies."""

    def claim(self, tenant_id: str) -> AbstractAsyncContextManager[bool]:
        """Within the context, whether this process holds the tenant's claim: False when another
        process holds it (it is rescoring the tenant: skip it). Never waits for a holder; released
        on exit. May block on the database and raises when it fails."""
