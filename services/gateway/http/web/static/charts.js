// SVG charts drawn by hand: a weekly line chart with gaps for missing weeks and dated markers, a
// stacked weekly column chart (class mix), a side-by-side bar comparison against targets, and a meter.
// Every chart has a text alternative (role="img" + aria-label + <title>) and its numbers in a table
// under "Show the numbers"; colours are the Okabe-Ito palette (safe for colour-blind readers) and
// lines also differ by dash, so nothing depends on colour alone.

import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const dayMs = 86_400_000;
const toDay = (iso) => Date.parse(`${iso}T00:00:00Z`) / dayMs;
const shortDay = (iso) => new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });

function frame(title, width, height, className) {
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: `chart ${className || ""}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  return svg;
}

function legend(items) {
  return h("ul", { class: "legend" }, ...items.map((i) => h("li", { class: i.className }, i.label)));
}

// The chart's numbers as a table, closed by default: the text alternative for every reader.
function numbers(caption, head, rows) {
  return h(
    "details",
    { class: "chart-numbers" },
    h("summary", {}, "Show the numbers"),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        {},
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, ...head.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows.map(([first, ...rest]) => h("tr", {}, h("th", { scope: "row" }, first), ...rest.map((v) => h("td", {}, v))))),
      ),
    ),
  );
}

/**
 * series: [{name, className, points: [{date, value|null}]}]; a null value is a gap in the line.
 * markers: [{date, label}] dashed vertical lines (go-live, 30/60/90 days). compact: sized for a phone.
 */
export function lineChart({ title, series, markers = [], yMax = 100, compact = false, format = (v) => `${Math.round(v)}` }) {
  const width = compact ? 360 : 720;
  const height = compact ? 230 : 260;
  const pad = { left: 34, right: 12, top: 26, bottom: 44 };
  const days = [...series.flatMap((line) => line.points.map((p) => toDay(p.date))), ...markers.map((m) => toDay(m.date))];
  const svg = frame(title, width, height, compact ? "compact" : "");
  const wrap = h("figure", { class: "chart-figure" }, svg);
  if (days.length === 0) return wrap;
  let first = Math.min(...days);
  let last = Math.max(...days);
  if (first === last) {
    first -= 7;
    last += 7;
  }
  const x = (day) => pad.left + ((day - first) / (last - first)) * (width - pad.left - pad.right);
  const y = (value) => pad.top + (1 - Math.max(0, Math.min(value, yMax)) / yMax) * (height - pad.top - pad.bottom);
  for (const tick of [0, 0.5, 1]) {
    svg.append(s("line", { x1: pad.left, x2: width - pad.right, y1: y(tick * yMax), y2: y(tick * yMax), class: "grid" }));
    svg.append(s("text", { x: pad.left - 6, y: y(tick * yMax) + 4, class: "axis", "text-anchor": "end" }, format(tick * yMax)));
  }
  markers.forEach((marker, index) => {
    const at = x(toDay(marker.date));
    svg.append(s("line", { x1: at, x2: at, y1: pad.top - 6, y2: height - pad.bottom, class: "marker" }));
    svg.append(s("text", { x: at, y: pad.top - 10 + (index % 2) * 0, class: "axis marker-label", "text-anchor": "middle" }, marker.label));
  });
  const dates = [...new Set(series.flatMap((line) => line.points.map((p) => p.date)))].sort();
  const every = Math.max(1, Math.ceil(dates.length / (compact ? 4 : 8)));
  dates.forEach((d, i) => {
    if (i % every === 0) svg.append(s("text", { x: x(toDay(d)), y: height - pad.bottom + 18, class: "axis", "text-anchor": "middle" }, shortDay(d)));
  });
  for (const line of series) {
    let path = "";
    let drawing = false;
    for (const p of line.points) {
      if (p.value === null || p.value === undefined) {
        drawing = false; // a gap: no data that week is not a zero
        continue;
      }
      path += `${drawing ? "L" : "M"}${x(toDay(p.date)).toFixed(1)},${y(p.value).toFixed(1)} `;
      drawing = true;
      const dot = s("circle", { cx: x(toDay(p.date)), cy: y(p.value), r: compact ? 4 : 3.5, class: `dot ${line.className}` });
      dot.append(s("title", {}, `${line.name}, week of ${p.date}: ${format(p.value)}`));
      svg.append(dot);
    }
    if (path) svg.insertBefore(s("path", { d: path.trim(), class: `series ${line.className}` }), svg.querySelector("circle"));
  }
  wrap.append(
    legend([...series.map((l) => ({ label: l.name, className: l.className })), ...(markers.length ? [{ label: "Days after go-live", className: "marker" }] : [])]),
    numbers(title, ["Week of", ...series.map((l) => l.name)], dates.map((d) => [d, ...series.map((l) => {
      const p = l.points.find((q) => q.date === d);
      return p && p.value !== null && p.value !== undefined ? format(p.value) : "no data";
    })])),
  );
  return wrap;
}

/** Stacked columns per week: parts [{key, label, className}], weeks [{date, counts: {key: n}}]. */
export function stackedColumns({ title, weeks, parts, compact = false }) {
  const width = compact ? 360 : 720;
  const height = 220;
  const pad = { left: 30, right: 10, top: 12, bottom: 40 };
  const svg = frame(title, width, height);
  const wrap = h("figure", { class: "chart-figure" }, svg);
  const most = Math.max(1, ...weeks.map((w) => parts.reduce((n, p) => n + (w.counts[p.key] || 0), 0)));
  const slot = (width - pad.left - pad.right) / Math.max(1, weeks.length);
  const scale = (height - pad.top - pad.bottom) / most;
  svg.append(s("text", { x: pad.left - 6, y: pad.top + 8, class: "axis", "text-anchor": "end" }, `${most}`));
  svg.append(s("line", { x1: pad.left, x2: width - pad.right, y1: height - pad.bottom, y2: height - pad.bottom, class: "grid" }));
  weeks.forEach((week, i) => {
    let top = height - pad.bottom;
    const left = pad.left + i * slot + slot * 0.15;
    for (const part of parts) {
      const n = week.counts[part.key] || 0;
      if (!n) continue;
      top -= n * scale;
      const bar = s("rect", { x: left, y: top, width: slot * 0.7, height: n * scale, class: `bar ${part.className}` });
      bar.append(s("title", {}, `Week of ${week.date}: ${n} ${part.label}`));
      svg.append(bar);
    }
    if (weeks.length <= 8 || i % 2 === 0) svg.append(s("text", { x: left + slot * 0.35, y: height - pad.bottom + 16, class: "axis", "text-anchor": "middle" }, shortDay(week.date)));
  });
  wrap.append(
    legend(parts.map((p) => ({ label: p.label, className: p.className }))),
    numbers(title, ["Week of", ...parts.map((p) => p.label)], weeks.map((w) => [w.date, ...parts.map((p) => `${w.counts[p.key] || 0}`)])),
  );
  return wrap;
}

/** Horizontal bars side by side: rows [{label, value|null, text}], with the target as a dashed line. */
export function comparisonBars({ title, rows, target, higherIsBetter = true, format }) {
  const width = 360;
  const rowHeight = 26;
  const pad = { left: 130, right: 46, top: 8, bottom: 8 };
  const height = pad.top + pad.bottom + rows.length * rowHeight;
  const svg = frame(title, width, height, "bars");
  const x = (v) => pad.left + Math.max(0, Math.min(1, v)) * (width - pad.left - pad.right);
  rows.forEach((row, i) => {
    const top = pad.top + i * rowHeight;
    svg.append(s("text", { x: pad.left - 6, y: top + 17, class: "axis row-label", "text-anchor": "end" }, row.label));
    if (row.value === null || row.value === undefined) {
      svg.append(s("text", { x: pad.left + 4, y: top + 17, class: "axis" }, "no data"));
      return;
    }
    const meets = higherIsBetter ? row.value >= target : row.value <= target;
    const bar = s("rect", { x: pad.left, y: top + 5, width: Math.max(1, x(row.value) - pad.left), height: 16, class: `bar ${meets ? "meets" : "misses"}` });
    bar.append(s("title", {}, `${row.label}: ${format(row.value)} (target ${format(target)})`));
    svg.append(bar);
    svg.append(s("text", { x: x(row.value) + 4, y: top + 17, class: "axis" }, format(row.value)));
  });
  svg.append(s("line", { x1: x(target), x2: x(target), y1: 2, y2: height - 2, class: "target" }));
  return h("figure", { class: "chart-figure" }, svg);
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
