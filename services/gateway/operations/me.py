"""The mobile client's reads and writes about the rep behind a rep or manager key."""

from __future__ import annotations

from collections.abc import Sequence

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.adapters.read_cache import Cached
from services.gateway.domain.access import Operation, own_rep, require
from services.gateway.domain.principal import Principal
from services.gateway.errors import InvalidRequest
from services.gateway.operations import checks
from services.gateway.operations.context import Gateway
from services.gateway.operations.reads import cached_score

MAX_EXCLUSIONS = 1_000


async def agenda(gw: Gateway, p: Principal, *, date: str) -> s.GetRepAgendaResponse:
    """The rep's meetings on `date` (default today, UTC) with account, opportunity, last interactions."""
    require(p, Operation.READ_MY_AGENDA)
    return await gw.scoring.get_rep_agenda(
        tenant_id=p.tenant_id, rep_id=own_rep(p), date=checks.optional_date(date, name="date")
    )


async def score(gw: Gateway, p: Principal) -> Cached[s.RepScore]:
    require(p, Operation.READ_MY_SCORE)
    return await cached_score(gw, p.tenant_id, own_rep(p))


async def exclusions(gw: Gateway, p: Principal) -> c.RepExclusions:
    require(p, Operation.READ_MY_EXCLUSIONS)
    return await gw.capture.get_rep_exclusions(tenant_id=p.tenant_id, rep_id=own_rep(p))


async def set_exclusions(
    gw: Gateway, p: Principal, *, addresses: Sequence[str], domains: Sequence[str]
) -> c.RepExclusions:
    """Replace the rep's own exclusion list; capture applies it before anything reaches Kafka."""
    require(p, Operation.WRITE_MY_EXCLUSIONS)
    if len(addresses) > MAX_EXCLUSIONS or len(domains) > MAX_EXCLUSIONS:
        raise InvalidRequest(f"at most {MAX_EXCLUSIONS} excluded addresses and {MAX_EXCLUSIONS} domains")
    exclusions = c.RepExclusions(
        tenant_id=p.tenant_id,
        rep_id=own_rep(p),
        excluded_addresses=sorted({checks.email(a, name="excluded address") for a in addresses}),
        excluded_domains=sorted({checks.domain(d, name="excluded domain") for d in domains}),
    )
    return await gw.capture.set_rep_exclusions(exclusions)
