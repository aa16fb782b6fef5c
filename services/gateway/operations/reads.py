"""Reads of what scoring knows: activities, scores, team health, diagnostics, forecasts, pipeline.

Reps read themselves, managers their teams, admins and plugins the whole tenant (see
`domain.access`). List results are filtered to the reps the caller may see as well, so a scoring
answer broader than asked for never widens a manager's view.
"""

from __future__ import annotations

from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.adapters.read_cache import LOOKUPS, Cached
from services.gateway.domain.access import Operation, check_rep, require, resolve_team, visible_reps
from services.gateway.domain.principal import Principal, Role
from services.gateway.errors import PermissionDenied
from services.gateway.operations import checks
from services.gateway.operations.context import Gateway


async def rep_activities(
    gw: Gateway, p: Principal, *, rep_id: str, page_size: int, page_token: str
) -> s.ListActivitiesResponse:
    require(p, Operation.READ_REP_ACTIVITIES)
    check_rep(p, checks.rep_id(rep_id), await gw.configs.directory(p.tenant_id))
    return await gw.scoring.list_activities(
        tenant_id=p.tenant_id,
        rep_id=rep_id,
        page_size=gw.limits.page_size(page_size),
        page_token=checks.page_token(page_token),
    )


async def rep_score(gw: Gateway, p: Principal, *, rep_id: str) -> Cached[s.RepScore]:
    require(p, Operation.READ_REP_SCORE)
    check_rep(p, checks.rep_id(rep_id), await gw.configs.directory(p.tenant_id))
    return await cached_score(gw, p.tenant_id, rep_id)


async def cached_score(gw: Gateway, tenant_id: str, rep_id: str) -> Cached[s.RepScore]:
    """The rep's score from the score view, else through the short-lived read cache from scoring
    (callers must not modify it)."""
    if gw.score_view is not None:
        held = gw.score_view.get(tenant_id, rep_id)
        if held is not None:
            LOOKUPS.labels("view").inc()
            return held

    async def load() -> Cached[s.RepScore]:
        return Cached(await gw.scoring.get_rep_score(tenant_id=tenant_id, rep_id=rep_id))

    return await gw.scores.get((tenant_id, rep_id), load)


async def rep_scores(
    gw: Gateway, p: Principal, *, team_id: str, page_size: int, page_token: str
) -> s.ListRepScoresResponse:
    require(p, Operation.READ_REP_SCORES)
    directory = await gw.configs.directory(p.tenant_id)
    team = resolve_team(p, checks.optional_team_id(team_id), directory)
    response = await gw.scoring.list_rep_scores(
        tenant_id=p.tenant_id,
        team_id=team,
        page_size=gw.limits.page_size(page_size),
        page_token=checks.page_token(page_token),
    )
    visible = visible_reps(p, directory)
    if visible is not None:
        kept = [score for score in response.scores if score.rep_id in visible]
        del response.scores[:]
        response.scores.extend(kept)
    return response


async def team_health(gw: Gateway, p: Principal, *, team_id: str) -> s.TeamHealth:
    require(p, Operation.READ_TEAM_HEALTH)
    team = resolve_team(p, checks.optional_team_id(team_id), await gw.configs.directory(p.tenant_id))
    return await gw.scoring.get_team_health(tenant_id=p.tenant_id, team_id=team)


async def diagnostics(gw: Gateway, p: Principal, *, team_id: str, rep_id: str) -> s.ListDiagnosticsResponse:
    require(p, Operation.READ_DIAGNOSTICS)
    directory = await gw.configs.directory(p.tenant_id)
    rep = checks.optional_rep_id(rep_id)
    if rep:
        check_rep(p, rep, directory)
    team = resolve_team(p, checks.optional_team_id(team_id), directory)
    response = await gw.scoring.list_diagnostics(tenant_id=p.tenant_id, team_id=team, rep_id=rep)
    visible = visible_reps(p, directory)
    if visible is not None:
        kept = [d for d in response.diagnostics if not d.rep_id or d.rep_id in visible]
        del response.diagnostics[:]
        response.diagnostics.extend(kept)
    return response


async def field_friction(gw: Gateway, p: Principal, *, team_id: str) -> s.GetFieldFrictionResponse:
    require(p, Operation.READ_FIELD_FRICTION)
    team = resolve_team(p, checks.optional_team_id(team_id), await gw.configs.directory(p.tenant_id))
    return await gw.scoring.get_field_friction(tenant_id=p.tenant_id, team_id=team)


async def forecast_accuracy(gw: Gateway, p: Principal, *, rep_id: str) -> s.ListForecastAccuracyResponse:
    require(p, Operation.READ_FORECAST_ACCURACY)
    directory = await gw.configs.directory(p.tenant_id)
    rep = checks.optional_rep_id(rep_id)
    if p.role is Role.REP:
        rep = rep or (p.rep_id or "")
    if rep:
        check_rep(p, rep, directory)
    response = await gw.scoring.list_forecast_accuracy(tenant_id=p.tenant_id, rep_id=rep)
    visible = visible_reps(p, directory)
    if visible is not None:
        kept = [e for e in response.entries if e.rep_id in visible]
        del response.entries[:]
        response.entries.extend(kept)
    return response


async def readiness(gw: Gateway, p: Principal) -> s.ReadinessReport:
    require(p, Operation.READ_READINESS)
    return await gw.scoring.get_readiness_report(tenant_id=p.tenant_id)


async def opportunities(
    gw: Gateway,
    p: Principal,
    *,
    team_id: str,
    rep_id: str,
    review_ready_only: bool,
    page_size: int,
    page_token: str,
) -> s.ListOpportunitiesResponse:
    require(p, Operation.READ_OPPORTUNITIES)
    directory = await gw.configs.directory(p.tenant_id)
    rep = checks.optional_rep_id(rep_id)
    team = checks.optional_team_id(team_id)
    if p.role is Role.REP:
        if team:
            raise PermissionDenied("a rep key cannot read team-level data")
        rep = rep or (p.rep_id or "")
    if rep:
        check_rep(p, rep, directory)
    if team or not rep:
        team = resolve_team(p, team, directory)
    request = s.ListOpportunitiesRequest(
        tenant_id=p.tenant_id,
        team_id=team,
        rep_id=rep,
        review_ready_only=review_ready_only,
        page_size=gw.limits.page_size(page_size),
        page_token=checks.page_token(page_token),
    )
    response = await gw.scoring.list_opportunities(request)
    visible = visible_reps(p, directory)
    if visible is not None:
        kept = [o for o in response.opportunities if o.owner_rep_id in visible]
        del response.opportunities[:]
        response.opportunities.extend(kept)
    return response
