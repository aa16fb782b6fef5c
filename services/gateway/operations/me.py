"""The mobile client's reads and writes about the rep behind a rep or manager key."""

from __future__ import annotations

from collections.abc import Sequence

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain.access import Operation
from services.gateway.errors import InvalidRequest
from services.gateway.operations import checks
from services.gateway.operations.scope import TenantScope, scoped
from services.gateway.ports import Cached

MAX_EXCLUSIONS = 1_000


@scoped(Operation.READ_MY_AGENDA)
async def agenda(scope: TenantScope, *, date: str, time_zone: str = "") -> s.GetRepAgendaResponse:
    """The rep's meetings on `date` (default today) as a day in `time_zone` (default UTC), with
    account, opportunity and last interactions."""
    return await scope.scoring.get_rep_agenda(
        rep_id=scope.own_rep,
        date=checks.optional_date(date, name="date"),
        time_zone=checks.time_zone(time_zone),
    )


@scoped(Operation.READ_MY_SCORE)
async def score(scope: TenantScope) -> Cached[s.RepScore]:
    return await scope.scores.get(scope.own_rep)


@scoped(Operation.READ_MY_EXCLUSIONS)
async def exclusions(scope: TenantScope) -> c.RepExclusions:
    return await scope.capture.get_rep_exclusions(rep_id=scope.own_rep)


@scoped(Operation.WRITE_MY_EXCLUSIONS)
async def set_exclusions(
    scope: TenantScope, *, addresses: Sequence[str], domains: Sequence[str]
) -> c.RepExclusions:
    """Replace the rep's own exclusion list; capture applies it before anything reaches Kafka."""
    if len(addresses) > MAX_EXCLUSIONS or len(domains) > MAX_EXCLUSIONS:
        raise InvalidRequest(f"at most {MAX_EXCLUSIONS} excluded addresses and {MAX_EXCLUSIONS} domains")
    return await scope.capture.set_rep_exclusions(
        rep_id=scope.own_rep,
        excluded_addresses=sorted({checks.email(a, name="excluded address") for a in addresses}),
        excluded_domains=sorted({checks.domain(d, name="excluded domain") for d in domains}),
    )
