"""Adoption and data-quality scores: weighted inputs, each explained, summing to 0-100.

Each input earns its weight in points when it meets its target, and a proportional share when it
falls short (half the target, half the points). An input that does not apply to the rep (no
meetings captured, no open deals...) scores nothing and its weight is shared among the others in
proportion to their weights, so the effective weights shown always add up to 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.scoring.domain.score_inputs import ActivityTotals, PipelineTotals
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.domain.wording import on_days, per_week


@dataclass(frozen=True, slots=True)
class ScoreInput:
    name: str
    value: float
    target: float
    weight: float  # effective weight: the points it is worth (the applicable weights add up to 100)
    contribution: float  # points earned
    unit: str  # ratio, days_per_week, hours, count
    explanation: str
    numerator: int = 0
    denominator: int = 0
    applicable: bool = True
    measured: bool = True  # False: nothing to measure (the value is meaningless and shown as null)


def _ratio_input(
    name: str, numerator: int, denominator: int, target: float, explanation: str, *, unit: str = "ratio"
) -> ScoreInput:
    value = min(numerator / denominator, 1.0) if denominator else 0.0
    return ScoreInput(name, round(value, 4), target, 0.0, 0.0, unit, explanation, numerator, denominator)


def _not_applicable(name: str, target: float, why: str, unit: str = "ratio") -> ScoreInput:
    return ScoreInput(
        name, 0.0, target, 0.0, 0.0, unit, f"not scored: {why}", applicable=False, measured=False
    )


def _informational(name: str, value: float, unit: str, explanation: str, numerator: int = 0) -> ScoreInput:
    return ScoreInput(name, value, 0.0, 0.0, 0.0, unit, explanation, numerator, applicable=False)


def weigh(inputs: Sequence[ScoreInput], settings: TenantSettings) -> tuple[float, list[ScoreInput]]:
    """The score and the inputs with their effective weights and contributions."""
    total = sum(settings.weights[i.name] for i in inputs if i.applicable and i.name in settings.weights)
    weighed: list[ScoreInput] = []
    score = 0.0
    for item in inputs:
        if item.applicable and settings.weights.get(item.name) == 0.0 and settings.role:
            weighed.append(_not_expected(item, settings.role))
            continue
        if not item.applicable or total <= 0 or item.name not in settings.weights:
            weighed.append(item)
            continue
        weight = 100.0 * settings.weights[item.name] / total
        attainment = min(item.value / item.target, 1.0) if item.target > 0 else 1.0
        contribution = weight * attainment
        score += contribution
        weighed.append(
            ScoreInput(
                item.name, item.value, item.target, round(weight, 2), round(contribution, 2), item.unit,
                item.explanation, item.numerator, item.denominator, item.applicable,
            )
        )  # fmt: skip
    return round(score, 1), weighed


def _not_expected(item: ScoreInput, role: str) -> ScoreInput:
    """An input the role's profile weighs 0: still shown with its value, not scored."""
    return ScoreInput(
        item.name, item.value, item.target, 0.0, 0.0, item.unit,
        f"not expected of {role_label(role)}, so not scored ({item.explanation})",
        item.numerator, item.denominator, applicable=False, measured=item.measured,
    )  # fmt: skip


def role_label(role: str) -> str:
    """A role as a sentence names it: "an SDR", "an account executive", "a data steward"."""
    words = "SDR" if role == "sdr" else role.replace("_", " ")
    return f"{'an' if words[0].lower() in 'aeiou' or words == 'SDR' else 'a'} {words}"


def adoption_score(t: ActivityTotals, settings: TenantSettings) -> float:
    """The adoption score alone (no explanations): the same number `weigh(adoption_inputs(...))`
    gives, cheap enough for the weekly trend points of every rep."""
    th, weights = settings.threshold, settings.weights
    parts = [
        ("crm_login_days", round(_per_week(t.login_days, t.days), 2), th("target_login_days_per_week")),
        ("crm_write_days", round(_per_week(t.write_days, t.days), 2), th("target_write_days_per_week")),
    ]
    if not settings.uses_write_back and t.meetings:
        rate = round(min(t.logged_meetings / t.meetings, 1.0), 4)
        parts.append(("manual_logging_rate", rate, th("target_manual_logging_rate")))
    if t.logs_entered:
        timely = round(min(t.logs_within_24h / t.logs_entered, 1.0), 4)
        not_bulk = round(min((t.logs_entered - t.bulk_logs) / t.logs_entered, 1.0), 4)
        parts.append(("logged_within_24h", timely, th("target_logged_within_24h")))
        parts.append(("not_bulk_logged", not_bulk, th("target_not_bulk_logged")))
    total = sum(weights[name] for name, _, _ in parts)
    if total <= 0:
        return 0.0
    score = 0.0
    for name, value, target in parts:
        attainment = min(value / target, 1.0) if target > 0 else 1.0
        score += 100.0 * weights[name] / total * attainment
    return round(score, 1)


def _per_week(days: int, total_days: int) -> float:
    return days * 7.0 / total_days if total_days else 0.0


def adoption_inputs(
    t: ActivityTotals,
    settings: TenantSettings,
    median_hours: float | None,
    records_created: int | None = None,
    contacts_created: int | None = None,
) -> list[ScoreInput]:
    th = settings.threshold
    login_target, write_target = th("target_login_days_per_week"), th("target_write_days_per_week")
    logins = _per_week(t.login_days, t.days)
    writes = _per_week(t.write_days, t.days)
    inputs = [
        ScoreInput(
            "crm_login_days", round(logins, 2), login_target, 0.0, 0.0, "days_per_week",
            f"logged in to the CRM {on_days(t.login_days, t.days)}, {per_week(t.login_days, t.days)} "
            f"(target: {login_target:g} days a week)",
            t.login_days, t.days,
        ),
        ScoreInput(
            "crm_write_days", round(writes, 2), write_target, 0.0, 0.0, "days_per_week",
            f"changed something in the CRM {on_days(t.write_days, t.days)}, "
            f"{per_week(t.write_days, t.days)} (target: {write_target:g} days a week)",
            t.write_days, t.days,
        ),
    ]  # fmt: skip
    target = th("target_manual_logging_rate")
    if settings.uses_write_back:
        inputs.append(
            _not_applicable("manual_logging_rate", target, "the CRM plugin writes captured meetings back")
        )
    elif t.meetings == 0:
        inputs.append(_not_applicable("manual_logging_rate", target, "no external meeting was captured"))
    else:
        inputs.append(
            _ratio_input(
                "manual_logging_rate",
                t.logged_meetings,
                t.meetings,
                target,
                f"logged {t.logged_meetings} meetings by hand for {t.meetings} external meetings captured",
            )
        )
    if t.logs_entered == 0:
        for name in ("logged_within_24h", "not_bulk_logged"):
            inputs.append(_not_applicable(name, th(f"target_{name}"), "no activity was logged by hand"))
    else:
        inputs.append(
            _ratio_input(
                "logged_within_24h",
                t.logs_within_24h,
                t.logs_entered,
                th("target_logged_within_24h"),
                f"{t.logs_within_24h} of {t.logs_entered} manual logs were entered within 24 hours",
            )
        )
        timely = t.logs_entered - t.bulk_logs
        inputs.append(
            _ratio_input(
                "not_bulk_logged",
                timely,
                t.logs_entered,
                th("target_not_bulk_logged"),
                f"{t.bulk_logs} of {t.logs_entered} manual logs were entered more than 48 hours late or "
                "in a catch-up burst",
            )
        )
    if records_created is not None:
        # "Record creation rate: new contacts, accounts, and deals created per week" (for context).
        inputs.append(
            _informational(
                "records_created_per_week",
                round(_per_week(records_created, t.days), 2),
                "per_week",
                f"created {records_created} contacts, accounts and deals in the CRM in the last "
                f"{t.days} days (for context; not scored)",
                records_created,
            )
        )
    if contacts_created is not None and settings.weights.get("contacts_created_per_week", 0.0) > 0:
        # Only the roles whose profile weighs it (an SDR) are judged on it; the others never see it.
        target = th("target_contacts_created_per_week")
        inputs.append(
            ScoreInput(
                "contacts_created_per_week", round(_per_week(contacts_created, t.days), 2), target, 0.0, 0.0,
                "per_week",
                f"created {contacts_created} new contacts in the CRM in the last {t.days} days "
                f"(target: {target:g} a week)",
                contacts_created, t.days,
            )
        )  # fmt: skip
    if median_hours is not None:
        inputs.append(
            _informational(
                "median_hours_to_log",
                round(median_hours, 1),
                "hours",
                f"half of the manual logs were entered within {median_hours:.1f} hours "
                "(for context; not scored)",
            )
        )
    return inputs


def data_quality_inputs(
    t: ActivityTotals,
    p: PipelineTotals,
    settings: TenantSettings,
    *,
    owned_records: int,
    duplicate_records: int,
    unknown_contacts: int,
) -> list[ScoreInput]:
    th = settings.threshold
    inputs: list[ScoreInput] = []
    if t.external_activities == 0:
        inputs.append(
            _not_applicable(
                "capture_coverage", th("target_capture_coverage"), "no external activity captured"
            )
        )
    else:
        inputs.append(
            _ratio_input(
                "capture_coverage",
                t.external_matched,
                t.external_activities,
                th("target_capture_coverage"),
                f"{t.external_matched} of {t.external_activities} captured external e-mails and meetings "
                "involve a contact or account that exists in the CRM",
            )
        )
    n = p.open_opportunities
    if not settings.required_opportunity_fields:
        inputs.append(
            _not_applicable(
                "required_fields_complete",
                th("target_required_fields_complete"),
                "no required fields configured",
            )
        )
    elif n == 0:
        inputs.append(
            _not_applicable(
                "required_fields_complete", th("target_required_fields_complete"), "no open opportunity"
            )
        )
    else:
        fields = len(settings.required_opportunity_fields)
        inputs.append(
            _ratio_input(
                "required_fields_complete",
                p.required_fields_filled,
                p.required_fields_possible,
                th("target_required_fields_complete"),
                f"{p.required_fields_filled} of {p.required_fields_possible} required fields are filled "
                f"({fields} required fields on {n} open opportunities)",
            )
        )
    pipeline = (
        ("pipeline_freshness", p.with_recent_activity, "have captured or logged activity in the last 7 days"),
        ("update_cadence", p.modified_recently, "were updated in the CRM in the last 7 days"),
        ("close_dates_current", p.close_date_current, "have a close date today or later"),
        ("next_steps_present", p.next_step_present, "have a next step that is not overdue"),
    )
    for name, count, what in pipeline:
        if n == 0:
            inputs.append(_not_applicable(name, th(f"target_{name}"), "no open opportunity"))
        else:
            inputs.append(
                _ratio_input(
                    name, count, n, th(f"target_{name}"), f"{count} of {n} open opportunities {what}"
                )
            )
    if owned_records == 0:
        inputs.append(
            _not_applicable("no_duplicates", th("target_no_duplicates"), "the rep owns no account or contact")
        )
    else:
        clean = owned_records - duplicate_records
        inputs.append(
            _ratio_input(
                "no_duplicates",
                clean,
                owned_records,
                th("target_no_duplicates"),
                f"{duplicate_records} of the {owned_records} accounts and contacts the rep owns look like "
                "duplicates of other records",
            )
        )
    inputs.append(
        _informational(
            "unknown_contacts",
            float(unknown_contacts),
            "count",
            f"{unknown_contacts} external people the rep wrote to or met at least twice are not CRM contacts "
            "(for context; not scored)",
            unknown_contacts,
        )
    )
    return inputs
