// The manager dashboard: team health against targets, the reps, diagnostics, field friction,
// capture health per mailbox and the deals ready for the weekly pipeline review.

import { get, getAll } from "./api.js";
import { lineChart, meter } from "./charts.js";
import { empty, fill, h, panel, replace } from "./dom.js";
import * as fmt from "./format.js";
import { directory, nameOf, person } from "./people.js";
import { debtView } from "./customization.js";
import { notificationsView } from "./notifications.js";
import { roleFilter, rolesView } from "./roles.js";
import { classMixView, comparisonView } from "./teams.js";

export function teamChoices(session) {
  const teams = session.teams.map((t) => ({ value: t.team_id, label: t.name || t.team_id }));
  if (session.role === "admin" || session.role === "plugin") return [{ value: "", label: "All teams" }, ...teams];
  return teams;
}

export function renderDashboard(root, session, teamId) {
  const choices = teamChoices(session);
  if (!choices.length) {
    replace(root, empty("This key manages no team yet. An admin adds teams in the tenant configuration."));
    return;
  }
  const team = choices.some((c) => c.value === teamId) ? teamId : choices[0].value;
  const picker = h(
    "select",
    { id: "team-picker", onchange: (e) => { window.location.hash = `#/dashboard/${encodeURIComponent(e.target.value)}`; } },
    ...choices.map((c) => h("option", { value: c.value, selected: c.value === team }, c.label)),
  );
  const slots = Object.fromEntries(
    ["health", "compare", "roles", "roleFilter", "trend", "classes", "managers", "reps", "diagnostics", "notifications", "friction", "debt", "capture", "review"].map((name) => [name, h("div", { class: "slot" })]),
  );
  const teams = choices.filter((c) => c.value);
  const allTeams = team === "" && teams.length > 0;
  replace(
    root,
    h("div", { class: "toolbar" }, h("label", { for: "team-picker" }, "Team"), picker),
    panel("health", "Team health", "Each number against its target, now and at 30, 60 and 90 days after go-live, over every rep the team expects in the CRM (managers apart). From GET /v1/team-health.", slots.health),
    allTeams ? panel("compare", "Teams side by side", "Every team's health against the targets, and whether the teams add up to the whole. From GET /v1/team-health per team.", slots.compare) : null,
    panel("roles", "Roles side by side", "Each role's members, judged against their own role's expectations (an SDR is not scored on meetings). From GET /v1/team-health (roles).", slots.roles),
    panel("trend", "Weekly trend since go-live", "Average adoption and data-quality score of the reps, week by week since go-live, with the go-live and 30/60/90-day marks. A gap is a week without data, not a zero. From each rep's trend in GET /v1/scores.", slots.trend),
    panel("classes", "Class mix week by week", "How many reps were adopters, workarounders, skeptics or ghosts, week by week. From each rep's trend in GET /v1/scores.", slots.classes),
    panel("managers", allTeams ? "Managers" : "Manager", "A manager is judged on their own CRM use: reps keep up what their manager looks at. From GET /v1/scores.", slots.managers),
    panel("reps", "Reps", "Score, class and the reasons behind the class. Open a row to see every input. From GET /v1/scores (?role= for one role).", slots.roleFilter, slots.reps),
    panel("diagnostics", "Recommended actions", "The likely root cause of each problem, the evidence for it and what to change. From GET /v1/diagnostics.", slots.diagnostics),
    panel("notifications", "Digest and alerts", "The weekly data-quality digest and the threshold alerts sent to the tenant's webhooks and data stewards, and whether each arrived. From GET /v1/notifications.", slots.notifications),
    panel("friction", "Field friction", "Required fields left empty on open deals, worst first: a field nobody fills is a field to remove or defer. From GET /v1/field-friction.", slots.friction),
    panel("debt", "Customization debt", "Required fields and stages added, removed or moved since go-live: when, in which configuration version, and the team's required-field completeness on the last day before the change against now. From GET /v1/customization-debt.", slots.debt),
    panel("capture", "Capture health per mailbox", "Whether each rep's mailbox is still delivering activity, inferred from what capture sends. From each rep's score (capture).", slots.capture),
    panel("review", "Pipeline review", "Only deals ready for review: a next step due today or later, a close date in the future and real activity in the last 7 days. From GET /v1/opportunities?review_ready=true.", slots.review),
  );
  const params = { team_id: team };
  const scores = getAll("/v1/scores", params, "scores");
  const health = get("/v1/team-health", params);
  const people = scores.then(directory, () => new Map());
  fill(slots.health, async () => healthView(await health));
  fill(slots.roles, async () => rolesView(await health));
  fill(slots.roleFilter, async () => roleFilter(await health, team, slots.reps, (found) => repsView(found, allTeams ? teams : [])) || "");
  if (allTeams) fill(slots.compare, async () => comparisonView(await health, await Promise.all(teams.map((t) => get("/v1/team-health", { team_id: t.value }))), teams));
  fill(slots.trend, async () => trendView(await scores, await health));
  fill(slots.classes, async () => classMixView(await scores, allTeams ? teams : []));
  fill(slots.managers, async () => managersView(await scores, teams));
  fill(slots.reps, async () => repsView(await scores, allTeams ? teams : []));
  fill(slots.diagnostics, async () => diagnosticsView((await get("/v1/diagnostics", params)).diagnostics || [], await people));
  fill(slots.notifications, async () => notificationsView((await get("/v1/notifications", params)).notifications || []));
  fill(slots.friction, async () => frictionView((await get("/v1/field-friction", params)).fields || []));
  fill(slots.debt, async () => debtView(await get("/v1/customization-debt", params)));
  fill(slots.capture, async () => captureView(await scores, allTeams));
  fill(slots.review, async () => reviewView(await getAll("/v1/opportunities", { ...params, review_ready: "true" }, "opportunities"), await people));
}

const isManager = (score) => score.classification === "manager";

function metricCard(metric) {
  const status = !metric.available ? "n/a" : metric.meets_target ? "on target" : "below target";
  const direction = metric.higher_is_better ? "at least" : "at most";
  return h(
    "article",
    { class: `metric ${metric.available ? (metric.meets_target ? "good" : "bad") : "na"}`, "data-metric": metric.name },
    h("h3", {}, fmt.metricLabel(metric.name)),
    h("p", { class: "big", "data-testid": "metric-value" }, metric.available ? fmt.percent(metric.value) : "—"),
    h("p", { class: "target" }, `Target: ${direction} `, h("span", { "data-testid": "metric-target" }, fmt.percent(metric.target)), ` · ${status}`),
    metric.available ? meter({ value: metric.value, target: metric.target, meets: metric.meets_target, label: `${fmt.percent(metric.value)} against a target of ${fmt.percent(metric.target)}` }) : null,
    h("p", { class: "why" }, metric.explanation),
  );
}

function healthView(health) {
  const metrics = health.metrics || [];
  if (!metrics.length) return empty("No team health yet: scoring has not computed this team.");
  const milestones = health.milestones || [];
  const names = metrics.map((m) => m.name);
  const table = milestones.length
    ? h(
        "table",
        { class: "milestones" },
        h("caption", {}, "At 30, 60 and 90 days after go-live"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Metric"), ...milestones.map((m) => h("th", { scope: "col" }, `${m.days_after_go_live} days (${fmt.date(m.date)})`)), h("th", { scope: "col" }, "Now"))),
        h(
          "tbody",
          {},
          ...names.map((name) => {
            const now = metrics.find((m) => m.name === name);
            return h(
              "tr",
              {},
              h("th", { scope: "row" }, fmt.metricLabel(name)),
              ...milestones.map((m) => {
                const at = (m.metrics || []).find((x) => x.name === name);
                if (!m.reached) return h("td", { class: "na" }, "not yet");
                return h("td", { class: at && at.available ? (at.meets_target ? "good" : "bad") : "na" }, at && at.available ? fmt.percent(at.value) : "—");
              }),
              h("td", { class: now.available ? (now.meets_target ? "good" : "bad") : "na" }, now.available ? fmt.percent(now.value) : "—"),
            );
          }),
        ),
      )
    : empty("No go-live date is configured, so there are no 30/60/90-day marks.");
  const over = health.members ? ` · over the ${health.members} reps expected in the CRM` : "";
  return h("div", {}, h("p", { class: "as-of", "data-testid": "health-members" }, `As of ${fmt.date(health.as_of)}${over}`), h("div", { class: "metrics" }, ...metrics.map(metricCard)), leadershipLine(health), table);
}

// "All pipeline reviews conducted in the CRM", "forecasts pulled directly from CRM": the team
// manager's leadership signals, or plainly unknown when the CRM plugin reports no views.
function leadershipLine(health) {
  const l = health.leadership;
  if (!l) return null;
  const text = !l.reported
    ? "Pipeline reviews and forecasts in the CRM: not known (the CRM plugin reports no views)."
    : `The manager ran the pipeline review in the CRM in ${l.weeks_with_pipeline_review || 0} of the last ${l.weeks_judged || 0} complete weeks, and pulled or submitted a forecast there on ${l.forecast_days || 0} of the last ${l.window_days} days.`;
  return h("p", { class: `leadership ${l.reported && !l.meets_target ? "warn" : ""}`, "data-testid": "leadership" }, text);
}

// The team's weekly average of each rep's trend points (data quality only for weeks that have it).
// The reps' weekly average of each trend point; a week where no rep has a value is a gap (null).
export function weeklyAverages(scores) {
  const weeks = new Map();
  for (const score of scores.filter((s) => !isManager(s))) {
    for (const point of score.trend || []) {
      const week = weeks.get(point.week_start) || { adoption: [], quality: [] };
      if (point.adoption_score !== null) week.adoption.push(point.adoption_score);
      if (point.data_quality_score !== null) week.quality.push(point.data_quality_score);
      weeks.set(point.week_start, week);
    }
  }
  const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  const sorted = [...weeks.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    adoption: sorted.map(([date, w]) => ({ date, value: mean(w.adoption) })),
    quality: sorted.map(([date, w]) => ({ date, value: mean(w.quality) })),
  };
}

// Go-live and the 30/60/90-day marks that fall within (or just after) the charted weeks.
export function goLiveMarkers(health, first, last) {
  const milestones = health.milestones || [];
  if (!milestones.length) return [];
  const goLive = new Date(Date.parse(`${milestones[0].date}T00:00:00Z`) - milestones[0].days_after_go_live * 86_400_000).toISOString().slice(0, 10);
  const marks = [{ date: goLive, label: "go-live" }, ...milestones.map((m) => ({ date: m.date, label: `${m.days_after_go_live} d` }))];
  return marks.filter((m) => m.date >= first && Date.parse(m.date) <= Date.parse(last) + 7 * 86_400_000);
}

function trendView(scores, health) {
  const averages = weeklyAverages(scores);
  if (!averages.adoption.length) return empty("No weekly history yet.");
  const first = averages.adoption[0].date;
  const last = averages.adoption[averages.adoption.length - 1].date;
  return h(
    "div",
    {},
    lineChart({
      title: `Reps' average adoption and data-quality score per week, ${fmt.date(first)} to ${fmt.date(last)}`,
      series: [
        { name: "Adoption score", className: "adoption", points: averages.adoption },
        { name: "Data-quality score", className: "quality", points: averages.quality },
      ],
      markers: goLiveMarkers(health, first, last),
    }),
    h("p", { class: "why", "data-testid": "headline-vs-trend" }, "Each point covers one calendar week (the last one: this week so far). The scores in the table cover the trailing 28 days, so the latest point and a rep's score can differ. Data quality has no past points before scoring kept weekly snapshots: the CRM's past state is not known."),
  );
}

function managersView(scores, teams) {
  const managers = scores.filter(isManager);
  if (!managers.length) return empty("No manager is configured for this team.");
  const teamName = (id) => (teams.find((t) => t.value === id) || { label: id }).label;
  return h(
    "table",
    { class: "managers" },
    h("caption", { class: "visually-hidden" }, "Managers and their own CRM use"),
    h("thead", {}, h("tr", {}, ...["Manager", "Team", "Their CRM use"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...managers.map((m) => h("tr", { "data-manager": m.rep_id }, h("th", { scope: "row" }, person(null, m.rep_id, m.display_name)), h("td", {}, teamName(m.team_id)), h("td", {}, h("ul", { class: "reasons" }, ...(m.reasons || []).map((r) => h("li", {}, r))))))),
  );
}

function classBadge(name) {
  return h("span", { class: `badge class-${name}`, "data-testid": "class", title: fmt.classHelp(name) }, fmt.classLabel(name));
}

function inputsTable(inputs, caption) {
  return h(
    "table",
    { class: "inputs" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...["Input", "Value", "Target", "Points", "What it means"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...inputs.map((i) =>
        h(
          "tr",
          { "data-input": i.name },
          h("th", { scope: "row" }, fmt.inputLabel(i.name)),
          h("td", { "data-label": "Value" }, fmt.inputValue(i)),
          h("td", { "data-label": "Target" }, i.weight ? fmt.inputTarget(i) : "—"),
          h("td", { "data-label": "Points" }, i.weight ? `${i.contribution.toFixed(1)} of ${i.weight.toFixed(0)}` : "not scored"),
          h("td", { "data-label": "Why" }, i.explanation),
        ),
      ),
    ),
  );
}

export { classBadge, inputsTable };

const byName = (a, b) => (a.display_name || a.rep_id).localeCompare(b.display_name || b.rep_id);

function repsView(scores, teams) {
  const reps = scores.filter((s) => !isManager(s));
  if (!reps.length) return empty("No rep has a score yet. Scores appear once capture and the CRM have sent data.");
  if (!teams.length) return repsTable(reps, "Reps with their scores");
  // Every team: one collapsible table per team, so the page stays short and the teams comparable.
  const groups = teams.map((t) => ({ label: t.label, reps: reps.filter((s) => s.team_id === t.value) }));
  const outside = reps.filter((s) => !teams.some((t) => t.value === s.team_id));
  if (outside.length) groups.push({ label: "In no team", reps: outside });
  return h(
    "div",
    {},
    ...groups.filter((g) => g.reps.length).map((g) => h("details", { class: "team-reps" }, h("summary", {}, `${g.label}: ${g.reps.length} reps`), repsTable(g.reps, `${g.label}: reps with their scores`))),
  );
}

function quality(score) {
  if (score.data_quality_score === null) {
    return h("td", { "data-testid": "quality", title: score.data_quality_unavailable_reason }, h("span", { "aria-hidden": "true" }, "—"), h("span", { class: "visually-hidden" }, `no data quality score: ${score.data_quality_unavailable_reason}`));
  }
  return h("td", { "data-testid": "quality", title: "0-100: completeness, freshness and hygiene of the rep's open deals" }, fmt.score(score.data_quality_score));
}

function repsTable(scores, caption) {
  const rows = [...scores].sort(byName);
  return h(
    "table",
    { class: "reps" },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, ...["Rep", "Class", "Adoption", "Data quality", "Why"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((score) =>
        h(
          "tr",
          { "data-rep": score.rep_id },
          h("th", { scope: "row" }, person(null, score.rep_id, score.display_name)),
          h("td", {}, classBadge(score.classification)),
          h("td", { "data-testid": "adoption", title: "0-100: CRM use, logging and capture coverage" }, fmt.score(score.adoption_score)),
          quality(score),
          h(
            "td",
            {},
            h("ul", { class: "reasons" }, ...(score.reasons || []).map((r) => h("li", {}, r))),
            h(
              "details",
              {},
              h("summary", {}, "All inputs"),
              inputsTable(score.adoption_inputs || [], "Adoption inputs"),
              inputsTable(score.data_quality_inputs || [], "Data-quality inputs"),
            ),
          ),
        ),
      ),
    ),
  );
}

function evidenceValue(e, people) {
  return e.object_type === "rep" ? person(people, e.ref, e.value !== e.ref ? e.value : undefined) : e.value;
}

function diagnosticsView(diagnostics, people) {
  if (!diagnostics.length) return empty("Nothing to fix: no diagnostic for this team.");
  const order = { critical: 0, warning: 1, info: 2 };
  const sorted = [...diagnostics].sort((a, b) => (order[a.severity] ?? 3) - (order[b.severity] ?? 3));
  return h(
    "div",
    { class: "cards" },
    ...sorted.map((d) =>
      h(
        "article",
        { class: `diagnostic ${d.severity}`, "data-diagnostic": d.id },
        h("p", { class: `badge severity-${d.severity}` }, d.severity),
        h("h3", {}, d.title),
        h("p", { class: "action" }, h("strong", {}, "Recommended action: "), d.recommendation),
        d.rep_id ? h("p", { class: "who" }, "Who: ", person(people, d.rep_id)) : null,
        h("dl", { class: "evidence" }, ...(d.evidence || []).flatMap((e) => [h("dt", {}, e.label), h("dd", {}, evidenceValue(e, people))])),
      ),
    ),
  );
}

function frictionView(fields) {
  if (!fields.length) return empty("No required field is left empty on open deals.");
  return h(
    "table",
    { class: "friction" },
    h("caption", { class: "visually-hidden" }, "Required fields left empty"),
    h("thead", {}, h("tr", {}, ...["Field", "Empty on", "Share empty"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...fields.map((f) =>
        h(
          "tr",
          { "data-field": f.field },
          h("th", { scope: "row" }, f.field),
          h("td", {}, `${f.empty} of ${f.open_opportunities} open deals`),
          h("td", { "data-testid": "empty-share" }, fmt.percent(f.empty_share)),
        ),
      ),
    ),
  );
}

function captureView(scores, allTeams) {
  const withCapture = scores.filter((s) => s.capture && !isManager(s));
  if (!withCapture.length) return empty("No capture information yet.");
  let rows = [...withCapture].sort(byName);
  let note = null;
  if (allTeams) {
    // Every team: only the mailboxes that need attention; the healthy ones are counted.
    const healthy = rows.filter((s) => s.capture.status === "healthy").length;
    rows = rows.filter((s) => s.capture.status !== "healthy");
    note = h("p", { class: "why", "data-testid": "healthy-mailboxes" }, `${healthy} of ${withCapture.length} mailboxes are healthy; the others are listed below.`);
    if (!rows.length) return note;
  }
  return h("div", {}, note, captureTable(rows));
}

function captureTable(rows) {
  return h(
    "table",
    { class: "capture" },
    h("caption", { class: "visually-hidden" }, "Capture health per mailbox"),
    h("thead", {}, h("tr", {}, ...["Rep's mailbox", "Status", "Capture says", "Last activity", "Silent business days", "Why"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((s) =>
        h(
          "tr",
          { "data-rep": s.rep_id },
          h("th", { scope: "row" }, person(null, s.rep_id, s.display_name)),
          h("td", {}, h("span", { class: `badge capture-${s.capture.status}`, "data-testid": "capture-status" }, s.capture.status)),
          h("td", { "data-testid": "capture-reported" }, captureSays(s.capture)),
          h("td", {}, fmt.date(s.capture.last_activity_date)),
          h("td", {}, `${s.capture.silent_business_days}`),
          h("td", {}, s.capture.explanation),
        ),
      ),
    ),
  );
}

// Capture's own word on the mailbox (its health topic), which scoring trusts before the flow:
// "revoked since 6 Nov 2026", "ok", or "—" when capture never reported on it.
function captureSays(capture) {
  if (!capture.reported_state) return "—";
  if (capture.status === "not_reporting") return `not reporting since ${fmt.date(capture.reported_at)}`;
  if (capture.reported_state === "ok") return "ok";
  return `${capture.reported_state.replace("_", " ")} since ${fmt.date(capture.reported_since)}`;
}

function reviewView(opportunities, people) {
  if (!opportunities.length) {
    return empty("No deal is review-ready: none has a next step due today or later, a future close date and activity in the last 7 days.");
  }
  return h(
    "table",
    { class: "review" },
    h("caption", { class: "visually-hidden" }, "Review-ready deals"),
    h("thead", {}, h("tr", {}, ...["Deal", "Owner", "Stage", "Amount", "Close date", "Next step", "Last activity"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...opportunities.map((o) =>
        h(
          "tr",
          { "data-opportunity": o.crm_id },
          h("th", { scope: "row" }, o.name || o.crm_id),
          h("td", {}, person(people, o.owner_rep_id, o.owner_display_name || nameOf(people, o.owner_rep_id))),
          h("td", {}, o.stage),
          h("td", { class: "number" }, fmt.money(o.amount)),
          h("td", {}, fmt.date(o.close_date)),
          h("td", {}, o.next_step, o.next_step_date ? h("span", { class: "due" }, ` (due ${fmt.date(o.next_step_date)})`) : null),
          h("td", {}, fmt.date(o.last_activity_at)),
        ),
      ),
    ),
  );
}
