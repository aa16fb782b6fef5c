// People by name: a display name with the address (or rep id) one hover, focus or tap away.

import { h } from "./dom.js";

// rep id -> {name, role} from the scores (each carries the person's display name and role).
export function directory(scores) {
  const known = new Map();
  for (const s of scores || []) known.set(s.rep_id, { name: s.display_name || "", role: s.role || "" });
  return known;
}

export function nameOf(people, repId) {
  return (people && people.get(repId) && people.get(repId).name) || repId || "—";
}

// The name, focusable (keyboard and tap), revealing the address beside it; screen readers get both.
export function person(people, repId, name) {
  const shown = name || nameOf(people, repId);
  if (!repId || shown === repId) return h("span", { class: "person plain" }, repId || "—");
  return h(
    "span",
    { class: "person", tabindex: 0, title: repId, "data-person": repId },
    h("span", { class: "name" }, shown),
    h("span", { class: "address" }, ` (${repId})`),
  );
}
