// Customization debt: each required field and stage changed since go-live, when and in which
// configuration version, and the team's required-field completeness before the change and now.
// "Unknown" is shown as the API words it ("unknown: no data before ..."), never as 0 %.

import { h } from "./dom.js";
import * as fmt from "./format.js";

function when(change) {
  if (!change.changed_on) return "date not known";
  const parts = [fmt.date(change.changed_on), `version ${change.version}`];
  if (change.change_reference) parts.push(`CRM change ${change.change_reference}`);
  return parts.join(" · ");
}

function effectCells(change) {
  const effect = change.completion || {};
  const value = (v) => (v === null || v === undefined ? "—" : fmt.percent(v));
  const before = h("td", { "data-testid": "before" }, value(effect.before));
  const now = h("td", { "data-testid": "now" }, value(effect.now));
  if (!effect.known) return [before, now, h("td", { class: "why", "data-testid": "effect" }, effect.explanation || "unknown")];
  const points = effect.change_points;
  return [
    before,
    now,
    h("td", { "data-testid": "effect", title: effect.explanation }, `${points > 0 ? "+" : ""}${points} points`),
  ];
}

function row(kind, name, change, detail) {
  return h(
    "tr",
    { "data-change": `${kind}:${name}` },
    h("th", { scope: "row" }, name),
    h("td", {}, `${kind} ${change.change}`, detail ? h("span", { class: "why" }, ` (${detail})`) : null),
    h("td", { "data-testid": "when" }, when(change)),
    ...effectCells(change),
  );
}

export function debtView(debt) {
  const fields = debt.required_fields || [];
  const stages = debt.stage_changes || [];
  const summary = h("p", { "data-testid": "debt-summary" }, debt.summary);
  if (!fields.length && !stages.length) return h("div", {}, summary);
  const emptyShare = (f) => (f.empty_share === null || f.empty_share === undefined ? null : `empty on ${fmt.percent(f.empty_share)} of ${f.open_opportunities} open deals now`);
  const place = (s) => (s.change === "moved" ? `from place ${s.position_before} to ${s.position}` : null);
  return h(
    "div",
    {},
    summary,
    h(
      "table",
      { class: "debt" },
      h("caption", { class: "visually-hidden" }, `Required fields and stages changed since ${debt.since}`),
      h("thead", {}, h("tr", {}, ...["Name", "Change", "When", "Completeness before", "Completeness now", "Effect"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        ...fields.map((f) => row("field", f.field, f, emptyShare(f))),
        ...stages.map((s) => row("stage", s.stage, s, place(s))),
      ),
    ),
  );
}

