// Roles side by side: each role's members judged against their own role's expectations, and a
// filter that lists one role's reps ("train by role, not by feature").

import { getAll } from "./api.js";
import { empty, fill, h } from "./dom.js";
import * as fmt from "./format.js";

const roleLabel = (role) => (role === "sdr" ? "SDR" : role.replaceAll("_", " "));

// The role's own active-user metric against its target, or a dash when not computed.
function activeCell(r, name) {
  const metric = (r.active || []).find((m) => m.name === name);
  if (!metric || !metric.available) return h("td", { class: "na" }, "—");
  return h("td", { class: metric.meets_target ? "good" : "bad", title: metric.explanation }, fmt.percent(metric.value));
}

export function rolesView(health) {
  const roles = health.roles || [];
  if (!roles.length) return empty("No role comparison yet: it appears with the next full rescore.");
  const columns = ["Role", "Members", "Average adoption", "Average data quality", "Weekly active", "DAU/MAU", "Adopters", "Workarounders", "Skeptics", "Ghosts", "Not judged yet"];
  return h(
    "table",
    // It scrolls sideways on a phone: focusable, so it can be scrolled from the keyboard too.
    { class: "roles", tabindex: 0, "aria-label": "Roles side by side" },
    h("caption", { class: "visually-hidden" }, "Roles side by side"),
    h("thead", {}, h("tr", {}, ...columns.map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...roles.map((r) =>
        h(
          "tr",
          { "data-role": r.role },
          h("th", { scope: "row" }, roleLabel(r.role)),
          h("td", {}, String(r.members)),
          h("td", {}, r.average_adoption === null || r.average_adoption === undefined ? "—" : fmt.score(r.average_adoption)),
          h("td", {}, r.average_data_quality === null || r.average_data_quality === undefined ? "—" : fmt.score(r.average_data_quality)),
          activeCell(r, "weekly_active_users"),
          activeCell(r, "dau_mau"),
          ...[r.adopters, r.workarounders, r.skeptics, r.ghosts, r.insufficient_data].map((n) => h("td", {}, String(n || 0))),
        ),
      ),
    ),
  );
}

// A role picker above the reps: one role's reps, from GET /v1/scores?role=...
export function roleFilter(health, teamId, slot, render) {
  const roles = (health.roles || []).map((r) => r.role);
  if (roles.length < 2) return null;
  const picker = h(
    "select",
    {
      id: "role-picker",
      onchange: (e) => {
        const params = e.target.value ? { team_id: teamId, role: e.target.value } : { team_id: teamId };
        fill(slot, async () => render(await getAll("/v1/scores", params, "scores")));
      },
    },
    h("option", { value: "" }, "Every role"),
    ...roles.map((role) => h("option", { value: role }, roleLabel(role))),
  );
  return h("div", { class: "toolbar" }, h("label", { for: "role-picker" }, "Role"), picker);
}
