"""Reads of what scoring knows: activities, scores, team health, diagnostics, forecasts, pipeline.

Reps read themselves, managers their teams, admins and plugins the whole tenant (see
`domain.access`, applied by the scope). List answers are filtered to the reps the caller may see as
well, so a scoring answer broader than asked for never widens a manager's view.
"""

from __future__ import annotations

from datetime import date

from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain import customization
from services.gateway.domain.access import Operation
from services.gateway.domain.principal import Role
from services.gateway.errors import InvalidRequest, NotFound, PermissionDenied
from services.gateway.operations import checks
from services.gateway.operations.scope import TenantScope, scoped
from services.gateway.ports import Cached

# Configuration versions walked to date the changes since a day: older ones leave a change undated.
MAX_DEBT_VERSIONS = 1000


@scoped(Operation.READ_REP_ACTIVITIES)
async def rep_activities(
    scope: TenantScope, *, rep_id: str, page_size: int, page_token: str
) -> s.ListActivitiesResponse:
    rep = await scope.readable_rep(rep_id)
    listing = f"activities\x00{rep}"
    response = await scope.scoring.list_activities(
        rep_id=rep,
        page_size=scope.limits.page_size(page_size),
        page_token=scope.page_position(listing, page_token),
    )
    response.next_page_token = scope.page_token(listing, response.next_page_token)
    return response


@scoped(Operation.READ_REP_SCORE)
async def rep_score(scope: TenantScope, *, rep_id: str) -> Cached[s.RepScore]:
    """The rep's latest score (callers must not modify it: it may be served again)."""
    return await scope.scores.get(await scope.readable_rep(rep_id))


@scoped(Operation.READ_REP_SCORES)
async def rep_scores(
    scope: TenantScope, *, team_id: str, page_size: int, page_token: str, role: str = ""
) -> s.ListRepScoresResponse:
    team = await scope.readable_team(team_id)
    role = checks.optional_role(role)
    listing = f"scores\x00{team}\x00{role}"
    response = await scope.scoring.list_rep_scores(
        team_id=team,
        page_size=scope.limits.page_size(page_size),
        page_token=scope.page_position(listing, page_token),
        role=role,
    )
    response.next_page_token = scope.page_token(listing, response.next_page_token)
    visible = await scope.visible_reps()
    if visible is not None:
        kept = [score for score in response.scores if score.rep_id in visible]
        del response.scores[:]
        response.scores.extend(kept)
    return response


@scoped(Operation.READ_TEAM_HEALTH)
async def team_health(scope: TenantScope, *, team_id: str) -> s.TeamHealth:
    return await scope.scoring.get_team_health(team_id=await scope.readable_team(team_id))


@scoped(Operation.READ_CUSTOMIZATION_DEBT)
async def customization_debt(scope: TenantScope, *, team_id: str, since: str = "") -> g.CustomizationDebt:
    """Required fields and stages changed since `since` (go-live when empty), each with when and in
    which version, what an added field costs in completion now (over the team's open opportunities;
    the tenant's for ""), and the team's completeness before each change and now."""
    since = checks.optional_date(since, name="since")
    if since and date.fromisoformat(since) > scope.now().date():
        raise InvalidRequest("since must not be in the future")
    team = await scope.readable_team(team_id)
    current = await scope.configs.config()
    day = since or current.go_live_date
    baseline: crm_pb2.TenantConfig | None = None
    history: customization.History | None = None
    if day:
        baseline = await scope.store.config_as_of(date.fromisoformat(day))
        versions = await scope.store.configs_after(date.fromisoformat(day), limit=MAX_DEBT_VERSIONS + 1)
        history = customization.History(
            [customization.StoredConfig(c, on) for c, on in versions[-MAX_DEBT_VERSIONS:]],
            complete=len(versions) <= MAX_DEBT_VERSIONS,
        )
        if versions and versions[-1][0].version > current.version:
            current = versions[-1][0]  # the cached configuration may lag the newest version by its TTL
    fields = (await scope.scoring.get_field_friction(team_id=team)).fields
    friction = {f.field: (f.open_opportunities, f.empty_share) for f in fields}
    debt = customization.customization_debt(baseline, current, friction, since=since, history=history)
    before = {
        changed_on: await _completion(scope, team, customization.before_day(changed_on).isoformat())
        for changed_on in customization.completion_days(debt)
    }
    if before or debt.required_fields or debt.stage_changes:
        customization.with_completion(debt, before, await _completion(scope, team, ""))
    return debt


async def _completion(scope: TenantScope, team: str, as_of: str) -> customization.Completion | None:
    """The team's completeness on the snapshot kept on `as_of` or before (latest: ""); None: none kept."""
    try:
        return customization.completion_on(await scope.scoring.get_team_health(team_id=team, as_of=as_of))
    except NotFound:
        return None


@scoped(Operation.READ_NOTIFICATIONS)
async def notifications(scope: TenantScope, *, team_id: str, limit: int) -> s.ListNotificationsResponse:
    """The digests and alerts sent for a team (managers: a team they manage; "" the tenant's own and
    every team's for admins), newest first, with their delivery counts."""
    return await scope.scoring.list_notifications(team_id=await scope.readable_team(team_id), limit=limit)


@scoped(Operation.READ_DIAGNOSTICS)
async def diagnostics(scope: TenantScope, *, team_id: str, rep_id: str) -> s.ListDiagnosticsResponse:
    rep = checks.optional_rep_id(rep_id)
    if rep:
        await scope.readable_rep(rep)
    team = await scope.readable_team(team_id)
    response = await scope.scoring.list_diagnostics(team_id=team, rep_id=rep)
    visible = await scope.visible_reps()
    if visible is not None:
        kept = [d for d in response.diagnostics if not d.rep_id or d.rep_id in visible]
        del response.diagnostics[:]
        response.diagnostics.extend(kept)
    return response


@scoped(Operation.READ_FIELD_FRICTION)
async def field_friction(scope: TenantScope, *, team_id: str) -> s.GetFieldFrictionResponse:
    return await scope.scoring.get_field_friction(team_id=await scope.readable_team(team_id))


@scoped(Operation.READ_FORECAST_ACCURACY)
async def forecast_accuracy(scope: TenantScope, *, rep_id: str) -> s.ListForecastAccuracyResponse:
    rep = checks.optional_rep_id(rep_id)
    if scope.principal.role is Role.REP:
        rep = rep or (scope.principal.rep_id or "")
    if rep:
        await scope.readable_rep(rep)
    response = await scope.scoring.list_forecast_accuracy(rep_id=rep)
    visible = await scope.visible_reps()
    if visible is not None:
        kept = [e for e in response.entries if e.rep_id in visible]
        del response.entries[:]
        response.entries.extend(kept)
    return response


@scoped(Operation.READ_READINESS)
async def readiness(scope: TenantScope) -> s.ReadinessReport:
    return await scope.scoring.get_readiness_report()


@scoped(Operation.READ_OPPORTUNITIES)
async def opportunities(
    scope: TenantScope,
    *,
    team_id: str,
    rep_id: str,
    review_ready_only: bool,
    page_size: int,
    page_token: str,
) -> s.ListOpportunitiesResponse:
    rep = checks.optional_rep_id(rep_id)
    team = checks.optional_team_id(team_id)
    if scope.principal.role is Role.REP:
        if team:
            raise PermissionDenied("a rep key cannot read team-level data")
        rep = rep or (scope.principal.rep_id or "")
    if rep:
        await scope.readable_rep(rep)
    if team or not rep:
        team = await scope.readable_team(team)
    listing = f"opportunities\x00{team}\x00{rep}\x00{int(review_ready_only)}"
    response = await scope.scoring.list_opportunities(
        team_id=team,
        rep_id=rep,
        review_ready_only=review_ready_only,
        page_size=scope.limits.page_size(page_size),
        page_token=scope.page_position(listing, page_token),
    )
    response.next_page_token = scope.page_token(listing, response.next_page_token)
    visible = await scope.visible_reps()
    if visible is not None:
        kept = [o for o in response.opportunities if o.owner_rep_id in visible]
        del response.opportunities[:]
        response.opportunities.extend(kept)
    return response
