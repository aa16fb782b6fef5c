// SVG charts drawn by hand: a weekly line chart with a target line and dated markers, and a meter
// (a value against its target). Every chart has a text alternative (role="img" + aria-label + <title>).

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const dayMs = 86_400_000;
const toDay = (iso) => Date.parse(`${iso}T00:00:00Z`) / dayMs;

/**
 * series: [{name, className, points: [{date: "yyyy-mm-dd", value}]}], values within [0, yMax].
 * markers: [{date, label, className}] drawn as dashed vertical lines (e.g. 30/60/90 days live).
 * target: optional horizontal line; format: value -> text for axis and tooltips.
 */
export function lineChart({ title, series, markers = [], target, yMax = 100, format = (v) => `${Math.round(v)}` }) {
  const width = 640;
  const height = 240;
  const pad = { left: 40, right: 16, top: 16, bottom: 40 };
  const days = [...series.flatMap((line) => line.points.map((p) => toDay(p.date))), ...markers.map((m) => toDay(m.date))];
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  if (days.length === 0) return svg;
  let first = Math.min(...days);
  let last = Math.max(...days);
  if (first === last) {
    first -= 7;
    last += 7;
  }
  const x = (day) => pad.left + ((day - first) / (last - first)) * (width - pad.left - pad.right);
  const y = (value) => pad.top + (1 - Math.max(0, Math.min(value, yMax)) / yMax) * (height - pad.top - pad.bottom);

  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const value = tick * yMax;
    svg.append(s("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(s("text", { x: pad.left - 6, y: y(value) + 4, class: "axis", "text-anchor": "end" }, format(value)));
  }
  if (target !== undefined) {
    svg.append(s("line", { x1: pad.left, x2: width - pad.right, y1: y(target), y2: y(target), class: "target" }));
    svg.append(s("text", { x: width - pad.right, y: y(target) - 4, class: "axis", "text-anchor": "end" }, `target ${format(target)}`));
  }
  for (const marker of markers) {
    const at = x(toDay(marker.date));
    svg.append(s("line", { x1: at, x2: at, y1: pad.top, y2: height - pad.bottom, class: `marker ${marker.className || ""}` }));
    svg.append(s("text", { x: at, y: height - pad.bottom + 28, class: "axis marker-label", "text-anchor": "middle" }, marker.label));
  }
  const labelled = series.find((line) => line.points.length) || { points: [] };
  for (const point of labelled.points) {
    const at = x(toDay(point.date));
    svg.append(s("text", { x: at, y: height - pad.bottom + 14, class: "axis", "text-anchor": "middle" }, point.date.slice(5)));
  }
  for (const line of series) {
    if (!line.points.length) continue;
    const path = line.points.map((p, i) => `${i ? "L" : "M"}${x(toDay(p.date)).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    svg.append(s("path", { d: path, class: `series ${line.className || ""}` }));
    for (const point of line.points) {
      const dot = s("circle", { cx: x(toDay(point.date)), cy: y(point.value), r: 3.5, class: `dot ${line.className || ""}` });
      dot.append(s("title", {}, `${line.name}, week of ${point.date}: ${format(point.value)}`));
      svg.append(dot);
    }
  }
  return svg;
}

/** A horizontal bar for a ratio (0..1) with its target as a tick; green when it meets the target. */
export function meter({ value, target, meets, label }) {
  const svg = s("svg", { viewBox: "0 0 200 16", class: `meter ${meets ? "good" : "bad"}`, role: "img", "aria-label": label, preserveAspectRatio: "none" });
  svg.append(s("title", {}, label));
  svg.append(s("rect", { x: 0, y: 3, width: 200, height: 10, rx: 5, class: "track" }));
  svg.append(s("rect", { x: 0, y: 3, width: Math.max(0, Math.min(1, value)) * 200, height: 10, rx: 5, class: "fill" }));
  const at = Math.max(1, Math.min(199, target * 200));
  svg.append(s("line", { x1: at, x2: at, y1: 0, y2: 16, class: "tick" }));
  return svg;
}
