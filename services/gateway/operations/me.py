"""The mobile client's reads and writes about the rep behind a rep or manager key."""

from __future__ import annotations

from collections.abc import Sequence

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.gateway.v1 import gateway_pb2 as g
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


@scoped(Operation.READ_MY_HELP)
async def help_for_me(scope: TenantScope) -> g.MyHelp:
    """What would help the rep behind the key, in words addressed to them: the playbook's advice about
    them and their team's timeline items that name them. Never the class, the stage or the manager's
    wording."""
    rep = scope.own_rep
    teams = [t.team_id for t in (await scope.directory()).teams if rep in t.member_rep_ids]
    found = list((await scope.scoring.list_diagnostics(team_id="", rep_id=rep)).diagnostics)
    for team in teams[:1]:
        team_wide = (await scope.scoring.list_diagnostics(team_id=team, rep_id="")).diagnostics
        found += [d for d in team_wide if not d.rep_id and any(e.ref == rep for e in d.evidence)]
    return g.MyHelp(
        items=[g.HelpItem(text=d.for_rep, until=d.expires_on or d.due_on) for d in found if d.for_rep]
    )


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
