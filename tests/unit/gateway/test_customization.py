"""Customization debt: required fields and stages changed since go-live, each dated by the version
that made it, and its effect on completion (before the change vs now), as a pure comparison."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain.customization import (
    Completion,
    History,
    StoredConfig,
    completion_days,
    completion_effect,
    completion_on,
    customization_debt,
    with_completion,
)


def config(
    fields: list[str], stages: list[str], version: int, go_live: str = "2026-09-01", reference: str = ""
) -> crm_pb2.TenantConfig:
    return crm_pb2.TenantConfig(
        version=version,
        go_live_date=go_live,
        required_opportunity_fields=fields,
        stages=stages,
        change_reference=reference,
    )


def stored(day: str, fields: list[str], stages: list[str], version: int, reference: str = "") -> StoredConfig:
    return StoredConfig(config(fields, stages, version, reference=reference), date.fromisoformat(day))


def test_fields_and_stages_added_removed_and_reordered_with_their_cost() -> None:
    before = config(["Amount", "NextStep"], ["A", "B", "C"], 1)
    now = config(["NextStep", "Budget", "Partner"], ["B", "A", "D", "C"], 5)
    debt = customization_debt(before, now, {"Budget": (20, 0.75), "Partner": (20, 0.1)})
    changes = [
        (c.field, c.change, c.empty_share if c.HasField("empty_share") else None)
        for c in debt.required_fields
    ]
    assert changes == [("Budget", "added", 0.75), ("Partner", "added", 0.1), ("Amount", "removed", None)]
    assert (list(debt.stages_added), list(debt.stages_removed), debt.stages_reordered) == (["D"], [], True)
    stage_changes = [(c.stage, c.change, c.position_before, c.position) for c in debt.stage_changes]
    assert stage_changes == [("D", "added", 0, 3), ("A", "moved", 1, 2), ("B", "moved", 2, 1)]
    assert debt.summary == (
        "2 required fields added since go-live, 1 of them left empty on half the open deals or more; "
        "stages: 1 added, 0 removed, 2 moved; 1 required fields dropped"
    )
    assert (debt.go_live_version, debt.since_version, debt.current_version) == (1, 1, 5)


def test_each_change_is_dated_by_the_version_that_made_it_with_the_crm_reference() -> None:
    baseline = config(["Amount"], ["Discovery", "Proposal"], 1)
    history = History(
        [
            stored("2026-09-10", ["Amount", "Budget"], ["Discovery", "Proposal"], 2, "deploy-0042"),
            stored("2026-09-20", ["Amount", "Budget", "Partner"], ["Discovery", "Demo", "Proposal"], 3),
            # Partner dropped and added again: the change that counts is the last one.
            stored("2026-10-01", ["Amount", "Budget"], ["Discovery", "Demo", "Proposal"], 4),
            stored("2026-10-05", ["Budget", "Partner"], ["Discovery", "Demo", "Proposal"], 5, "rel-7"),
        ]
    )
    current = history.versions[-1].config
    debt = customization_debt(baseline, current, {}, history=history)
    fields = [(c.field, c.change, c.changed_on, c.version, c.change_reference) for c in debt.required_fields]
    assert fields == [
        ("Budget", "added", "2026-09-10", 2, "deploy-0042"),
        ("Partner", "added", "2026-10-05", 5, "rel-7"),
        ("Amount", "removed", "2026-10-05", 5, "rel-7"),
    ]
    stages = [(c.stage, c.change, c.changed_on, c.version) for c in debt.stage_changes]
    assert stages == [("Demo", "added", "2026-09-20", 3)]
    assert completion_days(debt) == [date(2026, 9, 10), date(2026, 9, 20), date(2026, 10, 5)]


def test_a_change_older_than_the_versions_read_is_undated_not_dated_wrongly() -> None:
    baseline = config(["Amount"], [], 1)
    history = History([stored("2026-10-05", ["Amount", "Budget"], [], 9)], complete=False)
    debt = customization_debt(baseline, history.versions[-1].config, {}, history=history)
    assert [(c.field, c.changed_on, c.version) for c in debt.required_fields] == [("Budget", "", 9)]
    assert "the oldest changes are undated" in debt.summary
    with_completion(debt, {}, Completion(date(2026, 10, 6), 0.7))
    assert debt.required_fields[0].completion.explanation == "unknown: the day of this change is not known"


def test_completion_before_the_change_and_now() -> None:
    baseline = config(["Amount"], [], 1)
    history = History([stored("2026-10-05", ["Amount", "Budget"], [], 2)])
    debt = customization_debt(baseline, history.versions[-1].config, {}, history=history)
    with_completion(
        debt, {date(2026, 10, 5): Completion(date(2026, 10, 3), 0.9)}, Completion(date(2026, 10, 12), 0.62)
    )
    effect = debt.required_fields[0].completion
    assert effect.known and (effect.before, effect.now, effect.change_points) == (0.9, 0.62, -28.0)
    assert (effect.before_as_of, effect.now_as_of, debt.completion_now) == (
        "2026-10-03",
        "2026-10-12",
        "2026-10-12",
    )
    assert effect.explanation == (
        "required-field completeness 90% on 2026-10-03, before the change, "
        "and 62% on 2026-10-12 (-28.0 points)"
    )


@pytest.mark.parametrize(
    ("before", "now", "explanation"),
    [
        pytest.param(
            None, Completion(date(2026, 10, 12), 0.6), "unknown: no data before 2026-10-05", id="no-before"
        ),
        pytest.param(
            Completion(date(2026, 10, 1), None),
            Completion(date(2026, 10, 12), 0.6),
            "unknown: completeness was not measured on 2026-10-01",
            id="before-not-measured",
        ),
        pytest.param(
            Completion(date(2026, 10, 1), 0.8),
            Completion(date(2026, 10, 4), 0.8),
            "unknown: no data since 2026-10-05 yet",
            id="no-snapshot-since",
        ),
        pytest.param(
            Completion(date(2026, 10, 1), 0.8), None, "unknown: no data since 2026-10-05 yet", id="no-now"
        ),
        pytest.param(
            Completion(date(2026, 10, 1), 0.8),
            Completion(date(2026, 10, 12), None),
            "unknown: completeness was not measured on 2026-10-12",
            id="now-not-measured",
        ),
    ],
)
def test_unknown_completion_is_said_never_zero(
    before: Completion | None, now: Completion | None, explanation: str
) -> None:
    effect = completion_effect(date(2026, 10, 5), before, now)
    assert not effect.known and effect.explanation == explanation
    assert not effect.HasField("change_points")
    if before is None:
        assert not effect.HasField("before") and effect.before_as_of == ""


def test_completion_is_read_from_the_snapshot_metric_or_unknown() -> None:
    def health(metrics: list[s.HealthMetric]) -> s.TeamHealth:
        return s.TeamHealth(as_of="2026-10-03", metrics=metrics)

    measured = s.HealthMetric(name="required_field_completeness", value=0.75, available=True)
    unmeasured = s.HealthMetric(name="required_field_completeness", available=False)
    other = s.HealthMetric(name="weekly_active_users", value=0.9, available=True)
    assert completion_on(health([other, measured])) == Completion(date(2026, 10, 3), 0.75)
    assert completion_on(health([unmeasured])) == Completion(date(2026, 10, 3), None)
    assert completion_on(health([other])) == Completion(date(2026, 10, 3), None)


def test_nothing_to_compare_is_said_not_hidden() -> None:
    now = config(["Budget"], [], 2)
    assert customization_debt(None, now, {}).summary.startswith(
        "no configuration was in force at the end of the go-live day"
    )
    assert customization_debt(None, now, {}, since="2026-08-01").summary.startswith(
        "no configuration was in force at the end of 2026-08-01"
    )
    assert customization_debt(None, config([], [], 2, go_live=""), {}).summary.startswith("no go-live date")
    unchanged = customization_debt(now, now, {})
    assert unchanged.summary == "required fields and stages are as they were at go-live"


def test_since_another_day_compares_with_that_day() -> None:
    baseline = config(["Amount"], [], 3)
    debt = customization_debt(baseline, config(["Amount", "Budget"], [], 4), {}, since="2026-10-01")
    assert (debt.since, debt.since_version, debt.go_live_version) == ("2026-10-01", 3, 0)
    assert debt.summary == "1 required fields added since 2026-10-01"


NAMES = st.sampled_from(["A", "B", "C", "D", "E"])


@given(
    st.lists(st.tuples(st.lists(NAMES, unique=True), st.lists(NAMES, unique=True)), min_size=1, max_size=6),
    st.lists(NAMES, unique=True),
    st.lists(NAMES, unique=True),
)
def test_the_net_changes_are_the_difference_between_baseline_and_now_each_dated_by_a_version(
    versions: list[tuple[list[str], list[str]]], fields: list[str], stages: list[str]
) -> None:
    baseline = config(fields, stages, 1)
    history = History([stored(f"2026-10-{i + 10}", f, st_, i + 2) for i, (f, st_) in enumerate(versions)])
    current = history.versions[-1].config
    debt = customization_debt(baseline, current, {}, history=history)
    added = {c.field for c in debt.required_fields if c.change == "added"}
    removed = {c.field for c in debt.required_fields if c.change == "removed"}
    assert added == set(current.required_opportunity_fields) - set(fields)
    assert removed == set(fields) - set(current.required_opportunity_fields)
    assert {c.stage for c in debt.stage_changes if c.change != "moved"} == set(current.stages) ^ set(stages)
    dated = {v.config.version: v.stored_on.isoformat() for v in history.versions}
    when = [(c.version, c.changed_on) for c in debt.required_fields]
    when += [(c.version, c.changed_on) for c in debt.stage_changes]
    assert all(dated[version] == changed_on for version, changed_on in when)
    with_completion(debt, {}, None)
    assert all(c.completion.explanation.startswith("unknown: no data before") for c in debt.required_fields)
