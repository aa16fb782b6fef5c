"""Customization debt: "every workaround ... becomes a liability". What changed in the required fields
and stages between the configuration in force on a day (go-live by default) and the current one;
when each change was made, in which configuration version (and under which name the CRM gave it);
and its effect on completion: the team's required-field completeness on the last day scoring kept
before the change against now, plus, for a field added, the share of open deals leaving it empty now.

Pure: the caller reads the stored versions and the team-health snapshots (`completion_days` says
which days it needs)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.scoring.v1 import scoring_pb2 as s

COMPLETENESS_METRIC = "required_field_completeness"


@dataclass(frozen=True)
class StoredConfig:
    """A configuration version and the day (UTC) the gateway stored it, i.e. the day it took effect."""

    config: crm_pb2.TenantConfig
    stored_on: date


@dataclass(frozen=True)
class Completion:
    """The team's required-field completeness on a kept team-health snapshot (None: not measured)."""

    as_of: date
    value: float | None


@dataclass(frozen=True)
class History:
    """Every version stored after the day compared against, oldest first. `complete` is False when
    only the newest of them were read: a change found between the baseline and the first of those is
    then undated rather than dated wrongly."""

    versions: Sequence[StoredConfig]
    complete: bool = True


@dataclass(frozen=True)
class _When:
    day: date | None
    version: int
    reference: str


def completion_on(health: s.TeamHealth) -> Completion:
    """The team's required-field completeness on a kept snapshot (None when it was not measurable)."""
    metric = next((m for m in health.metrics if m.name == COMPLETENESS_METRIC), None)
    available = metric is not None and metric.available and metric.HasField("value")
    return Completion(date.fromisoformat(health.as_of), metric.value if metric and available else None)


def before_day(changed_on: date) -> date:
    """The day whose snapshot (or the latest before it) is "before" a change made on `changed_on`:
    a snapshot of the change day itself may have been taken after the change."""
    return changed_on - timedelta(days=1)


def completion_days(debt: g.CustomizationDebt) -> list[date]:
    """The distinct change days of a debt, whose "before" completeness the caller reads."""
    days = {c.changed_on for c in debt.required_fields} | {c.changed_on for c in debt.stage_changes}
    return sorted(date.fromisoformat(d) for d in days if d)


def customization_debt(
    baseline: crm_pb2.TenantConfig | None,
    current: crm_pb2.TenantConfig,
    friction: Mapping[str, tuple[int, float]],  # field -> (open opportunities, empty share)
    *,
    since: str = "",
    history: History | None = None,
) -> g.CustomizationDebt:
    """The changes from `baseline` (in force at the end of `since`, go-live when empty) to `current`,
    each dated from `history`. Without a day to compare against, or without a configuration in force
    by then, nothing is compared and the summary says why (never "no debt"). Completion effects are
    added afterwards by `with_completion`."""
    since = since or current.go_live_date
    debt = g.CustomizationDebt(
        go_live_date=current.go_live_date, current_version=current.version, since=since
    )
    if not since:
        debt.summary = "no go-live date is configured: nothing to compare against"
        return debt
    at_go_live = since == current.go_live_date
    if baseline is None:
        day = "the go-live day" if at_go_live else since
        debt.summary = f"no configuration was in force at the end of {day}: nothing to compare against"
        return debt
    if at_go_live:
        debt.go_live_version = baseline.version
    debt.since_version = baseline.version
    versions = history or History(())
    _field_changes(debt, baseline, current, friction, versions)
    _stage_changes(debt, baseline, current, versions)
    debt.summary = _summary(debt, "go-live" if at_go_live else since, versions)
    return debt


def with_completion(
    debt: g.CustomizationDebt, before: Mapping[date, Completion | None], now: Completion | None
) -> None:
    """Fill every change's completion effect: `before[day]` is the latest snapshot kept up to the day
    before the change day `day` (None: none was kept), `now` the latest snapshot (None: none)."""
    if now is not None:
        debt.completion_now = now.as_of.isoformat()

    def effect(changed_on: str) -> g.CompletionEffect:
        day = date.fromisoformat(changed_on) if changed_on else None
        return completion_effect(day, before.get(day) if day else None, now)

    for field in debt.required_fields:
        field.completion.CopyFrom(effect(field.changed_on))
    for stage in debt.stage_changes:
        stage.completion.CopyFrom(effect(stage.changed_on))


def completion_effect(
    changed_on: date | None, before: Completion | None, now: Completion | None
) -> g.CompletionEffect:
    """Completeness before a change and now, or why it is unknown (never a made-up 0)."""
    effect = g.CompletionEffect()
    if before is not None:
        effect.before_as_of = before.as_of.isoformat()
        if before.value is not None:
            effect.before = before.value
    if now is not None:
        effect.now_as_of = now.as_of.isoformat()
        if now.value is not None:
            effect.now = now.value
    if changed_on is None:
        effect.explanation = "unknown: the day of this change is not known"
    elif before is None:
        effect.explanation = f"unknown: no data before {changed_on.isoformat()}"
    elif before.value is None:
        effect.explanation = f"unknown: completeness was not measured on {before.as_of.isoformat()}"
    elif now is None or now.as_of < changed_on:
        effect.explanation = f"unknown: no data since {changed_on.isoformat()} yet"
    elif now.value is None:
        effect.explanation = f"unknown: completeness was not measured on {now.as_of.isoformat()}"
    else:
        effect.known = True
        effect.change_points = round((now.value - before.value) * 100, 1)
        effect.explanation = (
            f"required-field completeness {before.value:.0%} on {before.as_of.isoformat()}, before the "
            f"change, and {now.value:.0%} on {now.as_of.isoformat()} ({effect.change_points:+.1f} points)"
        )
    return effect


def _field_changes(
    debt: g.CustomizationDebt,
    baseline: crm_pb2.TenantConfig,
    current: crm_pb2.TenantConfig,
    friction: Mapping[str, tuple[int, float]],
    history: History,
) -> None:
    before, after = list(baseline.required_opportunity_fields), list(current.required_opportunity_fields)
    added = [(n, "added") for n in after if n not in before]
    for name, change in [*added, *((n, "removed") for n in before if n not in after)]:
        when = _last_flip(baseline, history, partial(_requires, field=name))
        item = debt.required_fields.add(field=name, change=change, **_dated(when))
        if change == "added" and name in friction:
            item.open_opportunities, item.empty_share = friction[name]


def _requires(config: crm_pb2.TenantConfig, *, field: str) -> bool:
    return field in config.required_opportunity_fields


def _has_stage(config: crm_pb2.TenantConfig, *, stage: str) -> bool:
    return stage in config.stages


def _stage_changes(
    debt: g.CustomizationDebt, baseline: crm_pb2.TenantConfig, current: crm_pb2.TenantConfig, history: History
) -> None:
    old_stages, new_stages = list(baseline.stages), list(current.stages)
    debt.stages_added.extend(s for s in new_stages if s not in old_stages)
    debt.stages_removed.extend(s for s in old_stages if s not in new_stages)
    kept = [s for s in old_stages if s in new_stages]

    def place_among_kept(config: crm_pb2.TenantConfig, *, stage: str) -> int | None:
        order = [s for s in config.stages if s in kept]
        return order.index(stage) if stage in order else None

    moved = [s for s in kept if place_among_kept(baseline, stage=s) != place_among_kept(current, stage=s)]
    debt.stages_reordered = bool(moved)
    changes: list[tuple[str, str, Callable[[crm_pb2.TenantConfig], Hashable]]] = [
        *((s, "added", partial(_has_stage, stage=s)) for s in debt.stages_added),
        *((s, "removed", partial(_has_stage, stage=s)) for s in debt.stages_removed),
        *((s, "moved", partial(place_among_kept, stage=s)) for s in moved),
    ]
    for stage, change, state in changes:
        when = _last_flip(baseline, history, state)
        debt.stage_changes.add(
            stage=stage,
            change=change,
            position=new_stages.index(stage) + 1 if stage in new_stages else 0,
            position_before=old_stages.index(stage) + 1 if stage in old_stages else 0,
            **_dated(when),
        )


def _last_flip(
    baseline: crm_pb2.TenantConfig, history: History, state: Callable[[crm_pb2.TenantConfig], Hashable]
) -> _When | None:
    """The version where `state` last changed (the one that put the item where it is now)."""
    previous = state(baseline)
    found: tuple[int, StoredConfig] | None = None
    for index, stored in enumerate(history.versions):
        value = state(stored.config)
        if value != previous:
            found = (index, stored)
        previous = value
    if found is None:
        return None
    index, stored = found
    undated = index == 0 and not history.complete  # versions between baseline and it were not read
    return _When(None if undated else stored.stored_on, stored.config.version, stored.config.change_reference)


def _dated(when: _When | None) -> dict[str, str | int]:
    if when is None:
        return {}
    return {
        "changed_on": when.day.isoformat() if when.day else "",
        "version": when.version,
        "change_reference": when.reference,
    }


def _summary(debt: g.CustomizationDebt, since: str, history: History) -> str:
    added = [c for c in debt.required_fields if c.change == "added"]
    parts = []
    if added:
        costly = [c for c in added if c.HasField("empty_share") and c.empty_share >= 0.5]
        parts.append(
            f"{len(added)} required fields added since {since}"
            + (f", {len(costly)} of them left empty on half the open deals or more" if costly else "")
        )
    if debt.stages_added or debt.stages_removed or debt.stages_reordered:
        moved = sum(1 for c in debt.stage_changes if c.change == "moved")
        parts.append(
            f"stages: {len(debt.stages_added)} added, {len(debt.stages_removed)} removed"
            + (f", {moved} moved" if moved else "")
        )
    removed = len(debt.required_fields) - len(added)
    if removed:
        parts.append(f"{removed} required fields dropped")
    if not history.complete:
        parts.append("only the newest configuration versions were read: the oldest changes are undated")
    return "; ".join(parts) if parts else f"required fields and stages are as they were at {since}"
