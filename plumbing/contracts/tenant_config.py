"""What a tenant's configuration may say, as the gateway accepts it and scoring applies it.

A tenant overrides score weights and thresholds by name; only the names below exist (scoring's
defaults, documented in docs/scoring.md), so the gateway refuses any other name instead of storing a
configuration that scoring would dead-letter. The scoring window is MIN..MAX_WINDOW_DAYS.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        # adoption: is the rep using the CRM, and is their real work getting into it?
        "crm_login_days": 20.0,
        "crm_write_days": 20.0,
        "manual_logging_rate": 25.0,
        "logged_within_24h": 15.0,
        "not_bulk_logged": 20.0,
        # judged only for roles whose profile weighs it (an SDR: "new contacts ... created per week")
        "contacts_created_per_week": 0.0,
        # data quality: can the team trust what the CRM says about the rep's deals?
        "capture_coverage": 15.0,
        "required_fields_complete": 25.0,
        "pipeline_freshness": 20.0,
        "update_cadence": 10.0,
        "close_dates_current": 10.0,
        "next_steps_present": 10.0,
        "no_duplicates": 10.0,
    }
)

DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        # targets of the score inputs
        "target_login_days_per_week": 4.0,
        "target_write_days_per_week": 3.0,
        "target_contacts_created_per_week": 5.0,
        "target_manual_logging_rate": 0.9,
        "target_logged_within_24h": 0.8,
        "target_not_bulk_logged": 0.9,
        "target_capture_coverage": 0.8,
        "target_required_fields_complete": 0.85,
        "target_pipeline_freshness": 0.8,
        "target_update_cadence": 0.5,
        "target_close_dates_current": 1.0,
        "target_next_steps_present": 0.9,
        "target_no_duplicates": 1.0,
        # what counts as late or bulk logging
        "bulk_burst_min_logs": 5.0,
        # classification
        "min_history_days": 7.0,
        "min_external_activities": 10.0,
        "min_crm_use_days": 3.0,
        "ghost_days": 14.0,
        "ghost_min_external_activities": 5.0,
        "skeptic_max_write_days_per_week": 1.0,
        "skeptic_min_login_days_per_week": 1.0,
        "skeptic_trend_drop_points": 20.0,
        "workarounder_min_write_days_per_week": 1.0,
        "workarounder_min_logged_within_24h": 0.5,
        "workarounder_max_bulk_share": 0.3,
        "workarounder_min_pipeline_freshness": 0.5,
        "workarounder_min_manual_logging_rate": 0.5,
        # capture health
        "capture_silence_business_days": 3.0,
        "capture_silence_min_items_per_business_day": 2.0,
        # team health targets
        "target_weekly_active_users": 0.8,
        "target_dau_mau": 0.6,
        "target_team_required_field_completeness": 0.8,
        "target_pipeline_without_activity_7d": 0.2,
        "target_team_data_quality": 0.8,
        # diagnostics
        "friction_empty_share": 0.6,
        "friction_min_open_opportunities": 5.0,
        "manager_min_login_days_per_week": 1.0,
        "manager_min_pipeline_review_share": 0.75,  # of the complete weeks in the window
        "write_back_min_meetings": 20.0,
        "write_back_max_logging_rate": 0.5,
        "stage_pile_up_share": 0.5,
        "stage_min_open_opportunities": 10.0,
        "stage_skip_share": 0.5,
        "stage_skip_min_opportunities": 5.0,
        "unknown_contact_min_interactions": 2.0,
        # the adoption playbook (docs/scoring.md, "From diagnosis to action")
        "target_adoption_score": 70.0,
        "relaunch_max_active_share": 0.4,
        # forecast and readiness
        "forecast_error_target": 0.1,
        "stale_days": 30.0,
        "review_next_step_max_age_days": 14.0,
    }
)

DEFAULT_WINDOW_DAYS = 28
MIN_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 91


WEIGHT_NAMES = frozenset(DEFAULT_WEIGHTS)
THRESHOLD_NAMES = frozenset(DEFAULT_THRESHOLDS)


def window_days_problem(value: int) -> str | None:
    """Why `value` cannot be the scoring window (0 means the default); None when it can."""
    if value and not MIN_WINDOW_DAYS <= value <= MAX_WINDOW_DAYS:
        return (
            f"must be {MIN_WINDOW_DAYS}..{MAX_WINDOW_DAYS} days (0 means the default {DEFAULT_WINDOW_DAYS})"
        )
    return None
