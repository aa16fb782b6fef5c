"""The leadership finding by kind: a team's manager who does not run the pipeline review in the CRM.

"All pipeline reviews conducted in the CRM"; "forecasts pulled directly from CRM" (docs/scoring.md,
"Leadership signals"). A manager may log in every day and still run the weekly review from a
spreadsheet; the CRM plugin's `crm_viewed` events say which. Judged only on complete weeks since
the tenant's plugin reports views: a tenant that reports none gets no finding (unknown, not "never").
"""

from __future__ import annotations

from datetime import date

from services.scoring.domain.diagnostics import Diagnostic, Evidence
from services.scoring.domain.leadership import window_weeks
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import Team, TenantSettings

KIND = "manager_reviews_outside_crm"


def leadership_findings(
    settings: TenantSettings, team: Team, manager: RepInputs | None, as_of: date
) -> list[Diagnostic]:
    """The finding for the team's manager when they ran the pipeline review in the CRM in fewer than
    `manager_min_pipeline_review_share` of the window's complete weeks. Pure."""
    if not team.manager_rep_id or manager is None or not manager.leadership.reported:
        return []
    use = manager.leadership
    judged = use.judged(window_weeks(as_of, use.window_days), as_of)
    if not judged:
        return []
    reviewed = use.reviewed(judged)
    minimum = settings.threshold("manager_min_pipeline_review_share")
    if reviewed >= minimum * len(judged):
        return []
    name = settings.person(team.manager_rep_id).display_name or team.manager_rep_id
    missing = [m for m in judged if m not in use.review_weeks]
    return [
        Diagnostic(
            settings.tenant_id, team.team_id, team.manager_rep_id, KIND, "warning",
            f"The manager of {team.name or team.team_id} ran the pipeline review in the CRM in "
            f"{reviewed} of the last {len(judged)} weeks",
            "Run every weekly pipeline review from the CRM, and pull the forecast from it: what the "
            "manager reviews is what the reps keep current.",
            (
                Evidence("manager", name, team.manager_rep_id, "rep"),
                Evidence("weeks with a pipeline review in the CRM", f"{reviewed} of {len(judged)}"),
                *(Evidence("no pipeline review in the CRM in the week of", m.isoformat()) for m in missing),
                Evidence("days with a forecast pulled or submitted in the CRM",
                         f"{use.forecast_days} of the last {use.window_days} days"),
                Evidence("expected share of weeks", f"{minimum:.0%}"),
            ),
        )
    ]  # fmt: skip
