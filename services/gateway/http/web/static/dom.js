// A tiny element builder: h("p", {class: "x"}, "text", child) — text is always set as text, never HTML.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

// A section with a heading, an explanation and its content (or an empty / error state).
export function panel(id, title, why, ...content) {
  return h(
    "section",
    { class: "panel", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    why ? h("p", { class: "why" }, why) : null,
    ...content,
  );
}

export function empty(message) {
  return h("p", { class: "empty", role: "status" }, message);
}

export function failure(message) {
  return h("p", { class: "error", role: "alert" }, message);
}

export function loading() {
  return h("p", { class: "loading", role: "status", "aria-live": "polite" }, "Loading…");
}

// Run `load` and put what it builds into `slot`; failures become an error state in that slot only.
export async function fill(slot, load) {
  replace(slot, loading());
  try {
    replace(slot, await load());
  } catch (error) {
    replace(slot, failure(error.message || String(error)));
  }
}
