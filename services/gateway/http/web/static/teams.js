// Pictures across teams: every team's health against its targets side by side, whether the teams
// add up to the whole tenant, and the class mix of each team week by week.

import { comparisonBars, stackedColumns } from "./charts.js";
import { empty, h } from "./dom.js";
import * as fmt from "./format.js";

export const CLASS_PARTS = [
  { key: "adopter", label: "Adopter", className: "class-adopter" },
  { key: "workarounder", label: "Workarounder", className: "class-workarounder" },
  { key: "skeptic", label: "Skeptic", className: "class-skeptic" },
  { key: "ghost", label: "Ghost", className: "class-ghost" },
  { key: "insufficient_data", label: "Not enough data", className: "class-insufficient_data" },
];

const reps = (scores) => scores.filter((s) => s.classification !== "manager");

/** Per week: how many of the reps had each class (managers are not reps). */
export function classMix(scores) {
  const weeks = new Map();
  for (const score of reps(scores)) {
    for (const point of score.trend || []) {
      if (!point.classification || point.classification === "unspecified") continue;
      const counts = weeks.get(point.week_start) || {};
      counts[point.classification] = (counts[point.classification] || 0) + 1;
      weeks.set(point.week_start, counts);
    }
  }
  return [...weeks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([date, counts]) => ({ date, counts }));
}

export function classMixView(scores, teams) {
  const groups = teams.length ? teams.map((t) => ({ label: t.label, scores: scores.filter((s) => s.team_id === t.value) })) : [{ label: "", scores }];
  const charts = groups
    .filter((g) => reps(g.scores).length)
    .map((g) => {
      const title = `Class mix of ${g.label || "the team"}'s reps, week by week`;
      return h("div", { class: "mix", "data-team-mix": g.label }, g.label ? h("h3", {}, g.label) : null, stackedColumns({ title, weeks: classMix(g.scores), parts: CLASS_PARTS, compact: teams.length > 1 }));
    });
  if (!charts.length) return empty("No rep has a class yet.");
  return h(
    "div",
    {},
    h("p", { class: "why" }, "Each column is a week: how many reps were adopters, workarounders, skeptics or ghosts as of that week's end, reconstructed from that week's CRM use and captured activity."),
    h("div", { class: teams.length > 1 ? "mix-grid" : "" }, ...charts),
  );
}

/** Whether the teams' weekly-active counts add up to the tenant's, and the sentence that says so. */
export function additionCheck(tenant, healths) {
  const wau = (health) => (health.metrics || []).find((m) => m.name === "weekly_active_users");
  const whole = wau(tenant);
  if (!whole || whole.denominator === null) return null;
  const parts = healths.map(wau).filter(Boolean);
  const active = parts.reduce((n, m) => n + m.numerator, 0);
  const members = parts.reduce((n, m) => n + m.denominator, 0);
  const outside = tenant.reps_outside_teams || 0;
  const adds = active <= whole.numerator && members + outside === whole.denominator;
  const text = outside
    ? `The teams hold ${members} of the tenant's ${whole.denominator} reps; ${outside} belong to no team. Weekly active: ${active} in teams, ${whole.numerator} in all.`
    : `The teams add up to the whole: ${active} of ${members} reps weekly active, as the tenant's ${whole.numerator} of ${whole.denominator}. Managers are shown apart, not counted as reps.`;
  return { adds, text };
}

export function comparisonView(tenant, healths, teams) {
  if (!healths.length) return empty("No team is configured, so there is nothing to compare.");
  const names = (tenant.metrics || []).map((m) => m.name);
  const check = additionCheck(tenant, healths);
  return h(
    "div",
    {},
    check ? h("p", { class: `sum ${check.adds ? "" : "warn"}`, "data-testid": "teams-add-up" }, check.text) : null,
    h(
      "div",
      { class: "comparison" },
      ...names.map((name) => {
        const whole = tenant.metrics.find((m) => m.name === name);
        const rows = healths.map((health, i) => {
          const metric = (health.metrics || []).find((m) => m.name === name);
          return { label: teams[i].label, value: metric && metric.available ? metric.value : null };
        });
        rows.push({ label: "All teams", value: whole.available ? whole.value : null });
        const title = `${fmt.metricLabel(name)} per team against the target of ${fmt.percent(whole.target)}`;
        return h(
          "div",
          { class: "compare-metric", "data-compare": name },
          h("h3", {}, fmt.metricLabel(name)),
          h("p", { class: "target" }, `Target: ${whole.higher_is_better ? "at least" : "at most"} ${fmt.percent(whole.target)} (dashed line)`),
          comparisonBars({ title, rows, target: whole.target, higherIsBetter: whole.higher_is_better, format: fmt.percent }),
        );
      }),
    ),
  );
}
