"""Scores, team health, diagnostics, field friction, readiness and opportunities as tables (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from services.cli.render.formats import DASH, amount, label, noted_if_empty, percent, score, text, timestamp

JsonObject = Mapping[str, Any]

CLASS_STYLES = {
    "adopter": "green",
    "workarounder": "yellow",
    "skeptic": "yellow",
    "ghost": "bold red",
    "insufficient_data": "dim",
}
SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def classification_text(value: Any) -> Text:
    name = str(value or "unspecified")
    return Text(label(name), style=CLASS_STYLES.get(name, ""))


def scores_table(scores: Iterable[JsonObject], *, title: str = "Rep scores") -> Table:
    """One row per rep, lowest adoption first (who needs attention comes first)."""
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("rep")
    table.add_column("team")
    table.add_column("adoption", justify="right")
    table.add_column("data quality", justify="right")
    table.add_column("class")
    table.add_column("capture")
    table.add_column("reasons", overflow="fold")
    ordered = sorted(scores, key=lambda s: (s.get("adoption_score") or 0.0, str(s.get("rep_id"))))
    for s in ordered:
        capture = (s.get("capture") or {}).get("status") or DASH
        table.add_row(
            s["rep_id"],
            text(s.get("team_id")),
            score(s.get("adoption_score")),
            score(s.get("data_quality_score")),
            classification_text(s.get("classification")),
            Text(capture, style="" if capture in ("healthy", DASH) else "yellow"),
            "; ".join(s.get("reasons") or []) or DASH,
        )
    return noted_if_empty(table, "no scores yet: scoring has seen no activity for these reps")


def _inputs_table(title: str, inputs: Iterable[JsonObject]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("input")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("weight", justify="right")
    table.add_column("points", justify="right")
    table.add_column("why", overflow="fold")
    for i in inputs:
        ratio = i.get("unit") == "ratio"
        unit = str(i.get("unit") or "").replace("_", " ")
        value = percent(i.get("value")) if ratio else f"{i.get('value', 0):g} {unit}".strip()
        target = percent(i.get("target")) if ratio else f"{i.get('target', 0):g}"
        table.add_row(
            label(str(i.get("name"))),
            value,
            target,
            f"{i.get('weight', 0):g}",
            score(i.get("contribution")),
            text(i.get("explanation")),
        )
    return table


def score_detail(s: JsonObject) -> RenderableType:
    """One rep's scores with every input behind them, the reasons and the weekly trend."""
    head = Text.assemble(
        (f"{s['rep_id']}", "bold"),
        f"  team {text(s.get('team_id'))}",
        f"  window {text(s.get('window_start'))} .. {text(s.get('window_end'))}\n",
        f"adoption {score(s.get('adoption_score'))}  data quality {score(s.get('data_quality_score'))}  ",
        "class ",
        classification_text(s.get("classification")),
    )
    reasons = Text("\n".join(f"- {r}" for r in s.get("reasons") or []) or "- no reasons given")
    parts: list[RenderableType] = [head, reasons]
    parts.append(_inputs_table("Adoption inputs", s.get("adoption_inputs") or []))
    parts.append(_inputs_table("Data-quality inputs", s.get("data_quality_inputs") or []))
    capture = s.get("capture") or {}
    if capture:
        parts.append(Text(f"capture: {capture.get('status', DASH)} - {capture.get('explanation') or ''}"))
    trend = s.get("trend") or []
    if trend:
        table = Table(title="Weekly trend", title_justify="left")
        table.add_column("week")
        table.add_column("adoption", justify="right")
        table.add_column("data quality", justify="right")
        for point in trend:
            quality = score(point.get("data_quality_score")) if point.get("has_data_quality", True) else DASH
            table.add_row(point.get("week_start", DASH), score(point.get("adoption_score")), quality)
        parts.append(table)
    return Group(*parts)


def _metric_row(metric: JsonObject) -> tuple[str, str, str, Text, str]:
    if not metric.get("available", True):
        verdict = Text("n/a", style="dim")
        value = DASH
    else:
        met = bool(metric.get("meets_target"))
        verdict = Text("meets target" if met else "below target", style="green" if met else "red")
        if not metric.get("higher_is_better", True) and not met:
            verdict = Text("above target", style="red")
        value = percent(metric.get("value"))
    comparison = ">=" if metric.get("higher_is_better", True) else "<="
    return (
        label(str(metric.get("name"))),
        value,
        f"{comparison} {percent(metric.get('target'))}",
        verdict,
        text(metric.get("explanation")),
    )


def health_view(health: JsonObject) -> RenderableType:
    """Team health against targets, then each 30/60/90-day milestone after go-live."""
    scope = f"team {health['team_id']}" if health.get("team_id") else "the whole tenant"
    table = Table(title=f"Team health of {scope}, as of {text(health.get('as_of'))}", title_justify="left")
    for column in ("metric", "value", "target", "verdict", "explanation"):
        table.add_column(column, overflow="fold" if column == "explanation" else "ellipsis")
    for metric in health.get("metrics") or []:
        table.add_row(*_metric_row(metric))
    parts: list[RenderableType] = [table]
    milestones = health.get("milestones") or []
    if milestones:
        steps = Table(title="After go-live", title_justify="left")
        steps.add_column("milestone")
        steps.add_column("date")
        for metric in health.get("metrics") or []:
            steps.add_column(label(str(metric.get("name"))), justify="right")
        names = [m.get("name") for m in health.get("metrics") or []]
        for milestone in milestones:
            by_name = {m.get("name"): m for m in milestone.get("metrics") or []}
            cells: list[str | Text] = [
                f"{milestone.get('days_after_go_live')} days",
                text(milestone.get("date")),
            ]
            for name in names:
                m = by_name.get(name)
                if not milestone.get("reached") or m is None or not m.get("available", True):
                    cells.append(Text("not yet" if not milestone.get("reached") else DASH, style="dim"))
                else:
                    cells.append(
                        Text(percent(m.get("value")), style="green" if m.get("meets_target") else "red")
                    )
            steps.add_row(*cells)
        parts.append(steps)
    return Group(*parts)


def diagnostics_table(diagnostics: Iterable[JsonObject]) -> Table:
    table = Table(title="Diagnostics (likely root causes)", title_justify="left", show_lines=True)
    table.add_column("severity")
    table.add_column("scope")
    table.add_column("finding", overflow="fold")
    table.add_column("what to change", overflow="fold")
    table.add_column("evidence", overflow="fold")
    ordered = sorted(
        diagnostics, key=lambda d: (_SEVERITY_ORDER.get(str(d.get("severity")), 9), str(d.get("id")))
    )
    for d in ordered:
        scope = (
            f"rep {d['rep_id']}"
            if d.get("rep_id")
            else f"team {d['team_id']}"
            if d.get("team_id")
            else "tenant"
        )
        evidence = "\n".join(f"{e.get('label')}: {e.get('value')}" for e in d.get("evidence") or []) or DASH
        severity = str(d.get("severity") or DASH)
        table.add_row(
            Text(severity, style=SEVERITY_STYLES.get(severity, "")),
            scope,
            f"{d.get('title')} [{d.get('kind')}]",
            text(d.get("recommendation")),
            evidence,
        )
    return noted_if_empty(table, "no diagnostics: nothing points at a root cause")


def friction_table(fields: Iterable[JsonObject], *, title: str = "Field friction") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("required field")
    table.add_column("team")
    table.add_column("empty", justify="right")
    table.add_column("open deals", justify="right")
    table.add_column("empty share", justify="right")
    for f in fields:
        table.add_row(
            f["field"],
            text(f.get("team_id")),
            f"{f.get('empty', 0):,}",
            f"{f.get('open_opportunities', 0):,}",
            percent(f.get("empty_share")),
        )
    return noted_if_empty(table, "no required field is left empty")


def opportunities_table(opportunities: Iterable[JsonObject], *, title: str = "Open opportunities") -> Table:
    table = Table(title=title, title_justify="left")
    for column in (
        "opportunity",
        "name",
        "owner",
        "stage",
        "amount",
        "close date",
        "next step",
        "last activity",
    ):
        table.add_column(column, justify="right" if column == "amount" else "left", overflow="fold")
    for o in opportunities:
        table.add_row(
            o["crm_id"],
            text(o.get("name")),
            text(o.get("owner_rep_id")),
            text(o.get("stage")),
            amount(o.get("amount")),
            text(o.get("close_date")),
            text(o.get("next_step")),
            timestamp(o.get("last_activity_at")),
        )
    return noted_if_empty(table, "no opportunities")


def readiness_view(report: JsonObject) -> RenderableType:
    summary = Table(title=f"Go-live readiness, as of {text(report.get('as_of'))}", title_justify="left")
    summary.add_column("check")
    summary.add_column("value", justify="right")
    summary.add_row("open opportunities", f"{report.get('open_opportunities', 0):,}")
    summary.add_row("required-field completeness", percent(report.get("required_field_completeness")))
    summary.add_row("stale open opportunities (30 days)", f"{report.get('stale_open_opportunities', 0):,}")
    summary.add_row("open with a past close date", f"{report.get('past_close_date_open_opportunities', 0):,}")
    summary.add_row("probable duplicate groups", f"{len(report.get('duplicates') or []):,}")
    parts: list[RenderableType] = [summary]
    duplicates = report.get("duplicates") or []
    if duplicates:
        table = Table(title="Probable duplicates", title_justify="left")
        for column in ("type", "records", "why", "open pipeline"):
            table.add_column(column, overflow="fold")
        for group in duplicates:
            records = ", ".join(
                f"{r.get('name') or r.get('crm_id')} ({r.get('crm_id')})" for r in group.get("records") or []
            )
            table.add_row(
                text(group.get("object_type")),
                records,
                text(group.get("reason")),
                amount(group.get("open_pipeline_amount")),
            )
        parts.append(table)
    if report.get("missing_fields"):
        parts.append(friction_table(report["missing_fields"], title="Required fields left empty"))
    if report.get("stale_examples"):
        parts.append(opportunities_table(report["stale_examples"], title="Stale deals (examples)"))
    return Group(*parts)
