"""Administration: erasing a rep, and rescoring a tenant on demand."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from services.scoring.operations.relay import Relays
from services.scoring.operations.rescore import RescoreOutcome, RescoreService
from services.scoring.ports import ErasureCounts, ErasureStore

_log = logging.getLogger(__name__)
TOMBSTONE_WAIT_SEC = 5.0


@dataclass(frozen=True)
class ErasureOutcome:
    counts: ErasureCounts
    tombstone_published: bool  # False: it stays queued and the relay publishes it later


class ScoringAdmin:
    """Each method blocks until its work is committed and raises if the store fails."""

    def __init__(
        self,
        erasure: ErasureStore,
        relays: Relays,
        rescore: RescoreService,
        *,
        tombstone_wait_sec: float = TOMBSTONE_WAIT_SEC,
    ) -> None:
        self._erasure = erasure
        self._relays = relays
        self._rescore = rescore
        self._tombstone_wait_sec = tombstone_wait_sec

    async def erase_rep(self, tenant_id: str, rep_id: str) -> ErasureOutcome:
        """Erases in one transaction, then publishes the tombstone; if the broker does not answer in
        time the tombstone stays queued and the relay publishes it later."""
        counts = await self._erasure.erase_rep(tenant_id, rep_id)
        published = False
        try:
            await asyncio.wait_for(self._relays.publish_once(), timeout=self._tombstone_wait_sec)
            published = not await self._erasure.tombstone_queued(tenant_id, rep_id)
        except Exception as exc:
            _log.warning("tombstone left queued", extra={"error": repr(exc)})
        _log.info("rep erased", extra={"tenant_id": tenant_id, "rep_id": rep_id})
        return ErasureOutcome(counts, published)

    async def rescore_tenant(self, tenant_id: str) -> RescoreOutcome:
        """A full rescore now; the relay is woken to publish what changed."""
        outcome = await self._rescore.rescore_tenant(tenant_id, full=True)
        self._relays.nudge()
        return outcome
