// The manager dashboard: team health against targets, the reps, diagnostics, field friction,
// capture health per mailbox and the deals ready for the weekly pipeline review.

import { get, getAll } from "./api.js";
import { lineChart, meter } from "./charts.js";
import { empty, fill, h, panel, replace } from "./dom.js";
import * as fmt from "./format.js";

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
    ["health", "trend", "reps", "diagnostics", "friction", "capture", "review"].map((name) => [name, h("div", { class: "slot" })]),
  );
  replace(
    root,
    h("div", { class: "toolbar" }, h("label", { for: "team-picker" }, "Team"), picker),
    panel("health", "Team health", "Each number against its target, now and at 30, 60 and 90 days after go-live. From GET /v1/team-health.", slots.health),
    panel("trend", "Weekly trend", "Average adoption and data-quality score of the team's reps, week by week, with the 30/60/90-day marks. From each rep's trend in GET /v1/scores.", slots.trend),
    panel("reps", "Reps", "Score, class and the reasons behind the class. Open a row to see every input. From GET /v1/scores.", slots.reps),
    panel("diagnostics", "Recommended actions", "The likely root cause of each problem, the evidence for it and what to change. From GET /v1/diagnostics.", slots.diagnostics),
    panel("friction", "Field friction", "Required fields left empty on open deals, worst first: a field nobody fills is a field to remove or defer. From GET /v1/field-friction.", slots.friction),
    panel("capture", "Capture health per mailbox", "Whether each rep's mailbox is still delivering activity, inferred from what capture sends. From each rep's score (capture).", slots.capture),
    panel("review", "Pipeline review", "Only deals ready for review: a current next step, a close date in the future and real activity in the last 7 days. From GET /v1/opportunities?review_ready=true.", slots.review),
  );
  const params = { team_id: team };
  const scores = getAll("/v1/scores", params, "scores");
  const health = get("/v1/team-health", params);
  fill(slots.health, async () => healthView(await health));
  fill(slots.trend, async () => trendView(await scores, await health));
  fill(slots.reps, async () => repsView(await scores));
  fill(slots.diagnostics, async () => diagnosticsView((await get("/v1/diagnostics", params)).diagnostics || []));
  fill(slots.friction, async () => frictionView((await get("/v1/field-friction", params)).fields || []));
  fill(slots.capture, async () => captureView(await scores));
  fill(slots.review, async () => reviewView(await getAll("/v1/opportunities", { ...params, review_ready: "true" }, "opportunities")));
}

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
  return h("div", {}, h("p", { class: "as-of" }, `As of ${fmt.date(health.as_of)}`), h("div", { class: "metrics" }, ...metrics.map(metricCard)), table);
}

// The team's weekly average of each rep's trend points (data quality only for weeks that have it).
export function weeklyAverages(scores) {
  const weeks = new Map();
  for (const score of scores) {
    for (const point of score.trend || []) {
      const week = weeks.get(point.week_start) || { adoption: [], quality: [] };
      week.adoption.push(point.adoption_score);
      if (point.has_data_quality) week.quality.push(point.data_quality_score);
      weeks.set(point.week_start, week);
    }
  }
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  const sorted = [...weeks.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    adoption: sorted.map(([date, w]) => ({ date, value: mean(w.adoption) })),
    quality: sorted.filter(([, w]) => w.quality.length).map(([date, w]) => ({ date, value: mean(w.quality) })),
  };
}

function trendView(scores, health) {
  const averages = weeklyAverages(scores);
  if (!averages.adoption.length) return empty("No weekly history yet.");
  const markers = (health.milestones || []).map((m) => ({ date: m.date, label: `${m.days_after_go_live} d`, className: m.reached ? "reached" : "ahead" }));
  const first = averages.adoption[0].date;
  const last = averages.adoption[averages.adoption.length - 1].date;
  // Only marks inside (or a week beyond) the charted weeks, so a far 90-day mark does not squash it.
  const near = markers.filter((m) => m.date >= first && Date.parse(m.date) <= Date.parse(last) + 14 * 86_400_000);
  return h(
    "div",
    {},
    lineChart({
      title: "Team average adoption and data-quality score per week",
      series: [
        { name: "Adoption", className: "adoption", points: averages.adoption },
        { name: "Data quality", className: "quality", points: averages.quality },
      ],
      markers: near,
    }),
    h("ul", { class: "legend" }, h("li", { class: "adoption" }, "Adoption score"), h("li", { class: "quality" }, "Data-quality score"), h("li", { class: "marker" }, "Days after go-live")),
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
          h("th", { scope: "row" }, fmt.label(i.name)),
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

function repsView(scores) {
  if (!scores.length) return empty("No rep has a score yet. Scores appear once capture and the CRM have sent data.");
  const rows = [...scores].sort((a, b) => a.rep_id.localeCompare(b.rep_id));
  return h(
    "table",
    { class: "reps" },
    h("caption", { class: "visually-hidden" }, "Reps with their scores"),
    h("thead", {}, h("tr", {}, ...["Rep", "Class", "Adoption", "Data quality", "Why"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((score) =>
        h(
          "tr",
          { "data-rep": score.rep_id },
          h("th", { scope: "row" }, score.rep_id),
          h("td", {}, classBadge(score.classification)),
          h("td", { "data-testid": "adoption", title: "0-100: CRM use, logging and capture coverage" }, fmt.score(score.adoption_score)),
          h("td", { "data-testid": "quality", title: "0-100: completeness, freshness and hygiene of the rep's open deals" }, fmt.score(score.data_quality_score)),
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

function diagnosticsView(diagnostics) {
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
        d.rep_id ? h("p", { class: "who" }, `Rep: ${d.rep_id}`) : null,
        h("dl", { class: "evidence" }, ...(d.evidence || []).flatMap((e) => [h("dt", {}, e.label), h("dd", {}, e.value)])),
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

function captureView(scores) {
  const withCapture = scores.filter((s) => s.capture);
  if (!withCapture.length) return empty("No capture information yet.");
  const rows = [...withCapture].sort((a, b) => a.rep_id.localeCompare(b.rep_id));
  return h(
    "table",
    { class: "capture" },
    h("caption", { class: "visually-hidden" }, "Capture health per mailbox"),
    h("thead", {}, h("tr", {}, ...["Rep's mailbox", "Status", "Last activity", "Silent business days", "Why"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((s) =>
        h(
          "tr",
          { "data-rep": s.rep_id },
          h("th", { scope: "row" }, s.rep_id),
          h("td", {}, h("span", { class: `badge capture-${s.capture.status}`, "data-testid": "capture-status" }, s.capture.status)),
          h("td", {}, fmt.date(s.capture.last_activity_date)),
          h("td", {}, `${s.capture.silent_business_days}`),
          h("td", {}, s.capture.explanation),
        ),
      ),
    ),
  );
}

function reviewView(opportunities) {
  if (!opportunities.length) {
    return empty("No deal is review-ready: none has a current next step, a future close date and activity in the last 7 days.");
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
          h("td", {}, o.owner_rep_id),
          h("td", {}, o.stage),
          h("td", { class: "number" }, fmt.money(o.amount)),
          h("td", {}, fmt.date(o.close_date)),
          h("td", {}, o.next_step),
          h("td", {}, fmt.date(o.last_activity_at)),
        ),
      ),
    ),
  );
}
