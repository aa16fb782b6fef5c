// Digests and alerts: what the team's data steward and webhooks were sent, and whether it arrived.

import { empty, h } from "./dom.js";

export function notificationsView(notes) {
  if (!notes.length) return empty("No digest or alert yet: the weekly digest comes on Mondays, alerts when a threshold is crossed (with a webhook or a data steward configured).");
  return h(
    "ul",
    { class: "notifications" },
    ...notes.map((n) =>
      h(
        "li",
        { "data-notification": n.id },
        h("strong", {}, n.title),
        h("ul", {}, ...(n.lines || []).map((line) => h("li", {}, line))),
        (n.records || []).length ? h("p", {}, "Records to fix: ", (n.records || []).map((r) => `${r.name} (${r.owner}): ${r.problem}`).join("; ")) : null,
        h("p", { class: "why", "data-testid": "deliveries" }, `delivered ${n.deliveries_done || 0}, pending ${n.deliveries_pending || 0}, given up ${n.deliveries_failed || 0}`),
      ),
    ),
  );
}
