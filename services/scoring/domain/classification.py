"""Which kind of CRM user a rep is right now, with the reasons that decided it.

Rules are checked in order; the first that applies wins:
1. insufficient_data: capture reports the mailbox broken or stopped reporting ("not judged: ...",
   checked first), too new, too little activity to judge, or a mailbox that is not delivering
   (then captured reality cannot be compared with the CRM, so nobody is called a ghost for it);
2. ghost: no CRM login or change in 14 days while real customer activity is captured;
3. skeptic: logs in but rarely changes anything, or their adoption is falling week after week;
4. workarounder: uses the CRM, but late, in bulk, sparsely or with stale deals;
5. adopter: none of the above.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.scoring.domain.capture_health import CaptureHealth, CaptureStatus
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.domain.wording import on_days, per_week


class Classification(StrEnum):
    INSUFFICIENT_DATA = "insufficient_data"
    GHOST = "ghost"
    WORKAROUNDER = "workarounder"
    SKEPTIC = "skeptic"
    ADOPTER = "adopter"
    MANAGER = "manager"  # judged on their own CRM use, never classified as a rep (see rep_score)


@dataclass(frozen=True, slots=True)
class Verdict:
    classification: Classification
    reasons: tuple[str, ...]


def classify(
    inputs: RepInputs, capture: CaptureHealth, weekly_adoption: list[float], settings: TenantSettings
) -> Verdict:
    th = settings.threshold
    w = inputs.window
    weeks = w.days / 7.0
    if capture.reported_by_capture:
        # Capture's own word comes first: a broken mailbox is named, whatever its volume or history.
        return Verdict(Classification.INSUFFICIENT_DATA, (f"not judged: {capture.explanation}",))
    if inputs.first_seen is None or (inputs.as_of - inputs.first_seen).days + 1 < th("min_history_days"):
        seen = "never" if inputs.first_seen is None else f"first seen on {inputs.first_seen.isoformat()}"
        return Verdict(
            Classification.INSUFFICIENT_DATA,
            (f"{seen}: at least {th('min_history_days'):g} days are needed",),
        )
    if capture.status is CaptureStatus.AWAY:
        return Verdict(Classification.INSUFFICIENT_DATA, (f"not judged while away: {capture.explanation}",))
    if capture.status is not CaptureStatus.HEALTHY:
        return Verdict(
            Classification.INSUFFICIENT_DATA,
            (
                f"capture is {capture.status.value}: {capture.explanation}; "
                "the rep is not judged until it recovers",
            ),
        )
    if w.external_activities < th("min_external_activities") and w.crm_use_days < th("min_crm_use_days"):
        return Verdict(
            Classification.INSUFFICIENT_DATA,
            (
                f"only {w.external_activities} external activities captured and {w.crm_use_days} days of CRM "
                f"use in {w.days} days: too little to judge",
            ),
        )
    recent = inputs.last_14_days
    if recent.crm_use_days == 0 and recent.external_activities >= th("ghost_min_external_activities"):
        return Verdict(
            Classification.GHOST,
            (
                f"no CRM login or change in the last {recent.days} days while {recent.external_activities} "
                "external e-mails and meetings were captured",
            ),
        )
    login_rate = w.login_days / weeks
    write_rate = w.write_days / weeks
    skeptic = []
    if login_rate >= th("skeptic_min_login_days_per_week") and write_rate < th(
        "skeptic_max_write_days_per_week"
    ):
        writes = (
            f"changes something only {on_days(w.write_days, w.days)}"
            if w.write_days
            else f"changed nothing in the last {w.days} days"
        )
        skeptic.append(f"logs in {per_week(w.login_days, w.days)} but {writes}")
    if len(weekly_adoption) >= 4 and login_rate >= th("skeptic_min_login_days_per_week"):
        last_four = weekly_adoption[-4:]
        early = (last_four[0] + last_four[1]) / 2
        late = (last_four[2] + last_four[3]) / 2
        if early - late >= th("skeptic_trend_drop_points"):
            skeptic.append(f"adoption fell from {early:.0f} to {late:.0f} points over the last four weeks")
    if skeptic:
        return Verdict(Classification.SKEPTIC, tuple(skeptic))
    workaround = _workarounds(inputs, settings)
    if write_rate >= th("workarounder_min_write_days_per_week") and workaround:
        return Verdict(Classification.WORKAROUNDER, tuple(workaround))
    if write_rate < th("workarounder_min_write_days_per_week"):
        return Verdict(
            Classification.SKEPTIC,
            (
                f"changes something in the CRM only {on_days(w.write_days, w.days)}"
                if w.write_days
                else f"changed nothing in the CRM in the last {w.days} days",
            ),
        )
    return Verdict(
        Classification.ADOPTER,
        (
            f"logs in {per_week(w.login_days, w.days)} and changes the CRM {per_week(w.write_days, w.days)}",
            *_good_habits(inputs, settings),
        ),
    )


def _workarounds(inputs: RepInputs, settings: TenantSettings) -> list[str]:
    th = settings.threshold
    w, p = inputs.window, inputs.pipeline
    found = []
    if w.logs_entered:
        timely = w.logs_within_24h / w.logs_entered
        bulk = w.bulk_logs / w.logs_entered
        if timely < th("workarounder_min_logged_within_24h"):
            found.append(f"only {timely:.0%} of manual logs are entered within 24 hours")
        if bulk > th("workarounder_max_bulk_share"):
            found.append(
                f"{bulk:.0%} of manual logs are entered more than 48 hours late or in a catch-up burst"
            )
    if not settings.uses_write_back and w.meetings:
        rate = w.logged_meetings / w.meetings
        if rate < th("workarounder_min_manual_logging_rate"):
            found.append(
                f"logs only {w.logged_meetings} of {w.meetings} captured external meetings ({rate:.0%})"
            )
    if p.open_opportunities >= 3:
        fresh = p.with_recent_activity / p.open_opportunities
        if fresh < th("workarounder_min_pipeline_freshness"):
            found.append(
                f"{p.open_opportunities - p.with_recent_activity} of {p.open_opportunities} open "
                "opportunities have had no activity for 7 days"
            )
    return found


def _good_habits(inputs: RepInputs, settings: TenantSettings) -> list[str]:
    w = inputs.window
    habits = []
    if w.logs_entered:
        habits.append(f"{w.logs_within_24h / w.logs_entered:.0%} of manual logs entered within 24 hours")
    if not settings.uses_write_back and w.meetings:
        habits.append(f"logged {min(w.logged_meetings / w.meetings, 1.0):.0%} of captured external meetings")
    return habits
