"""Roles and what each is expected to do in the CRM, as the gateway accepts them and scoring applies them.

"Identify your top three CRM user types. Give each one a role-specific view"; "train by role, not by
feature": an SDR sends many e-mails and books few meetings, an account executive runs meetings and
moves opportunities, an account manager (customer success) keeps existing customers' records
current. One model judging them alike penalises SDRs for meetings they never hold.

A role profile overrides score weights and thresholds by name for the people of that role. A weight
of 0 means "not expected of this role": the input is shown, not scored. The effective setting of a
person is, most specific last: the documented default, the tenant's override, the role's default
below, the tenant's override for the role (docs/scoring.md, "Roles").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from plumbing.contracts.identifiers import is_role
from plumbing.contracts.tenant_config import THRESHOLD_NAMES, WEIGHT_NAMES

REP = "rep"
SDR = "sdr"
ACCOUNT_EXECUTIVE = "account_executive"
ACCOUNT_MANAGER = "account_manager"  # customer success
MANAGER = "manager"
DATA_STEWARD = "data_steward"
KNOWN_ROLES = (REP, SDR, ACCOUNT_EXECUTIVE, ACCOUNT_MANAGER, MANAGER, DATA_STEWARD)
MAX_ROLE_PROFILES = 50

_PIPELINE_INPUTS = ("pipeline_freshness", "update_cadence", "close_dates_current", "next_steps_present")


def _frozen(values: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(values))


# Weights of the built-in roles (the tenant-wide weights apply to every input not named here).
DEFAULT_ROLE_WEIGHTS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        # Prospecting: e-mail volume to known contacts and clean records, not meetings or deals.
        SDR: _frozen(
            {
                "crm_login_days": 25.0,
                "crm_write_days": 30.0,
                "manual_logging_rate": 0.0,
                "logged_within_24h": 25.0,
                "not_bulk_logged": 20.0,
                # Prospecting fills the CRM with the people they reach: judged for SDRs only.
                "contacts_created_per_week": 20.0,
                "capture_coverage": 40.0,
                "required_fields_complete": 15.0,
                **dict.fromkeys(_PIPELINE_INPUTS, 0.0),
                "no_duplicates": 25.0,
            }
        ),
        # Closing: meetings logged and opportunities kept moving.
        ACCOUNT_EXECUTIVE: _frozen(
            {"manual_logging_rate": 30.0, "pipeline_freshness": 25.0, "update_cadence": 15.0}
        ),
        # Customer success: existing customers' contacts and meetings, few new deals.
        ACCOUNT_MANAGER: _frozen(
            {"capture_coverage": 25.0, "close_dates_current": 5.0, "next_steps_present": 15.0}
        ),
        # Keeps the data clean for everyone: records without duplicates and complete fields.
        DATA_STEWARD: _frozen(
            {
                "manual_logging_rate": 0.0,
                "capture_coverage": 5.0,
                "required_fields_complete": 30.0,
                **dict.fromkeys(_PIPELINE_INPUTS, 0.0),
                "no_duplicates": 40.0,
            }
        ),
    }
)

# Thresholds of the built-in roles (targets and classification rules).
DEFAULT_ROLE_THRESHOLDS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        # An SDR's outreach lands in the CRM daily; few meetings and no pipeline are not workarounds.
        SDR: _frozen(
            {
                "target_write_days_per_week": 4.0,
                "workarounder_min_manual_logging_rate": 0.0,
                "workarounder_min_pipeline_freshness": 0.0,
            }
        ),
        ACCOUNT_EXECUTIVE: _frozen({"target_pipeline_freshness": 0.8, "target_update_cadence": 0.5}),
        # Renewals move slowly: an update a fortnight is the rhythm, not a weekly one.
        ACCOUNT_MANAGER: _frozen({"target_update_cadence": 0.3, "workarounder_min_pipeline_freshness": 0.3}),
        DATA_STEWARD: _frozen(
            {"workarounder_min_manual_logging_rate": 0.0, "workarounder_min_pipeline_freshness": 0.0}
        ),
    }
)


def role_profile_problems(
    role: str, weights: Mapping[str, float], thresholds: Mapping[str, float]
) -> list[str]:
    """What makes one role profile unusable (empty when it is valid); each problem names the role."""
    where = f"role_profiles[{role[:64]!r}]"
    problems: list[str] = []
    if not is_role(role):
        problems.append(f"{where}.role must be lower_snake_case (for example {', '.join(KNOWN_ROLES)})")
    if role == MANAGER:
        problems.append(f"{where}: managers are judged on their own CRM use, not by a profile")
    for name, values, known in (
        ("score_weights", weights, WEIGHT_NAMES),
        ("thresholds", thresholds, THRESHOLD_NAMES),
    ):
        for key, value in values.items():
            if key not in known:
                problems.append(f"{where}.{name}: {key[:64]!r} is not a known setting (see docs/scoring.md)")
            if not math.isfinite(value) or (name == "score_weights" and value < 0):
                problems.append(
                    f"{where}.{name}[{key[:64]!r}] must be a finite number"
                    + (" >= 0" * (name == "score_weights"))
                )
    return problems
