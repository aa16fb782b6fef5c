// The rep's own view, mobile first: today's meetings with account context, what the CRM knows
// against what really happened, my score and exactly why, and my capture exclusions.

import { api, get } from "./api.js";
import { lineChart } from "./charts.js";
import { classBadge, inputsTable } from "./dashboard.js";
import { empty, failure, fill, h, panel, replace } from "./dom.js";
import * as fmt from "./format.js";

export function renderRepView(root, session) {
  const slots = Object.fromEntries(["agenda", "help", "reality", "score", "exclusions"].map((name) => [name, h("div", { class: "slot" })]));
  replace(
    root,
    panel("agenda", "Today's meetings", `Your meetings today, in your time zone (${fmt.timeZone()}), with what the CRM has on each account and your last real interactions. From GET /v1/me/agenda.`, slots.agenda),
    panel("help", "What would help", "Suggestions from your team's adoption playbook, in plain words, and until when they apply. From GET /v1/me/help.", slots.help),
    panel("reality", "What the CRM knows vs what really happened", "What your mailbox and calendar show next to what is in the CRM, over your scoring window. From GET /v1/me/score.", slots.reality),
    panel("score", "My score and exactly why", "Every input behind your two scores, its target and the points it adds. From GET /v1/me/score.", slots.score),
    panel("exclusions", "My exclusions", "People and domains that are never captured from your mailbox (for example your doctor or your bank). Applied before anything leaves your mailbox. From /v1/me/exclusions.", slots.exclusions),
  );
  const score = get("/v1/me/score");
  fill(slots.agenda, async () => agendaView((await get("/v1/me/agenda", { date: fmt.localToday(), time_zone: fmt.timeZone() })).items || []));
  fill(slots.help, async () => helpView((await get("/v1/me/help")).items || []));
  fill(slots.reality, async () => realityView(await score));
  fill(slots.score, async () => scoreView(await score));
  fill(slots.exclusions, async () => exclusionsView(await get("/v1/me/exclusions")));
}

function external(participants) {
  return (participants || []).filter((p) => !p.is_internal);
}

function meetingCard(item) {
  const meeting = item.meeting || {};
  const people = external(meeting.participants);
  const account = item.account;
  const opportunity = item.opportunity;
  return h(
    "article",
    { class: "meeting", "data-meeting": meeting.id },
    h("h3", {}, `${fmt.time(meeting.occurred_at)}–${fmt.time(meeting.end_at)} `, meeting.subject || (account ? `Meeting with ${account.name}` : "Customer meeting")),
    h("p", { class: "who" }, people.length ? people.map((p) => p.display_name || p.address).join(", ") : "No external attendee"),
    h(
      "div",
      { class: "compare" },
      h(
        "div",
        {},
        h("h4", {}, "The CRM knows"),
        account ? h("p", {}, `Account: ${account.name}`) : h("p", { class: "na" }, "No CRM account matches these attendees."),
        opportunity
          ? h("p", {}, `Deal: ${opportunity.name} · ${opportunity.stage} · closes ${fmt.date(opportunity.close_date)}`, h("br"), `Next step: ${opportunity.next_step || "none"}`)
          : h("p", { class: "na" }, "No open deal on this account."),
      ),
      h(
        "div",
        {},
        h("h4", {}, "What really happened"),
        (item.last_interactions || []).length
          ? h("ul", {}, ...item.last_interactions.map((a) => h("li", {}, `${fmt.date(a.occurred_at)}: ${KINDS[a.kind] || fmt.label(a.kind)}`, a.subject ? h("span", { class: "subject" }, ` “${a.subject}”`) : null)))
          : h("p", { class: "na" }, "No earlier interaction captured."),
      ),
    ),
  );
}

const KINDS = { email_sent: "you wrote", email_received: "they wrote", meeting: "meeting" };

function agendaView(items) {
  if (!items.length) return empty("No customer meeting today.");
  return h("div", { class: "cards" }, ...items.map(meetingCard));
}

// Pairs of inputs that put the CRM's record next to captured reality.
const COMPARISONS = [
  {
    input: "manual_logging_rate",
    what: "Customer meetings",
    crm: (i) => `${i.numerator} meetings logged`,
    real: (i) => `${i.denominator} customer meetings held`,
  },
  {
    input: "capture_coverage",
    what: "E-mails and meetings in the CRM",
    crm: (i) => `${i.numerator} linked to a CRM record`,
    real: (i) => `${i.denominator} customer e-mails and meetings captured`,
  },
  {
    pair: ["update_cadence", "pipeline_freshness"],
    what: "Open deals this week",
    crm: (i) => `${i.numerator} of ${i.denominator} open deals updated in the last 7 days`,
    real: (i) => `${i.numerator} of ${i.denominator} open deals with real activity in the last 7 days`,
  },
  {
    input: "unknown_contacts",
    what: "People you talk to",
    crm: () => "not in the CRM",
    real: (i) => `${Math.round(i.value)} people you talk to repeatedly`,
  },
];

function realityView(score) {
  const inputs = new Map([...(score.adoption_inputs || []), ...(score.data_quality_inputs || [])].map((i) => [i.name, i]));
  const rows = [];
  for (const c of COMPARISONS) {
    if (c.pair) {
      const [crmInput, realInput] = c.pair.map((n) => inputs.get(n));
      if (crmInput && realInput && realInput.denominator) rows.push([c.what, c.crm(crmInput), c.real(realInput), realInput.name]);
    } else {
      const i = inputs.get(c.input);
      if (i && (i.denominator || i.unit === "count")) rows.push([c.what, c.crm(i), c.real(i), i.name]);
    }
  }
  if (!rows.length) return empty("Not enough captured activity yet to compare with the CRM.");
  return h(
    "table",
    { class: "reality" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "What"), h("th", { scope: "col" }, "The CRM knows"), h("th", { scope: "col" }, "Really happened"))),
    h("tbody", {}, ...rows.map(([what, crm, real, name]) => h("tr", { "data-input": name }, h("th", { scope: "row" }, what), h("td", {}, crm), h("td", {}, real)))),
  );
}

// The inputs worth the most missing points, with what to do about each: what would raise the score first.
export function firstImprovements(score, count = 3) {
  return [...(score.adoption_inputs || []), ...(score.data_quality_inputs || [])]
    .filter((i) => i.weight > 0 && fmt.inputAdvice(i.name))
    .map((i) => ({ input: i, gain: i.weight - i.contribution }))
    .filter((g) => g.gain >= 0.5)
    .sort((a, b) => b.gain - a.gain)
    .slice(0, count);
}

function improvementsView(score) {
  const found = firstImprovements(score);
  if (!found.length) return h("p", { class: "why" }, "Every scored input is at its target: keep it up.");
  return h(
    "ol",
    { class: "improve", "data-testid": "improve" },
    ...found.map(({ input, gain }) => h("li", { "data-input": input.name }, h("strong", {}, fmt.inputAdvice(input.name)), ` ${fmt.inputLabel(input.name)}: ${fmt.inputValue(input)} now, target ${fmt.inputTarget(input)}; up to ${Math.round(gain)} more points.`)),
  );
}

function scoreView(score) {
  const trend = score.trend || [];
  const quality = score.data_quality_score === null ? "—" : fmt.score(score.data_quality_score);
  return h(
    "div",
    {},
    h(
      "div",
      { class: "scores" },
      h("p", { class: "score-box" }, h("span", { class: "big", "data-testid": "my-adoption" }, fmt.score(score.adoption_score)), h("span", {}, "Adoption (0-100)")),
      h("p", { class: "score-box" }, h("span", { class: "big", "data-testid": "my-quality" }, quality), h("span", {}, "Data quality (0-100)")),
      h("p", { class: "score-box" }, classBadge(score.classification), h("span", {}, "Class")),
    ),
    h("p", { class: "as-of" }, `Over ${fmt.date(score.window_start)} – ${fmt.date(score.window_end)}`),
    score.data_quality_score === null ? h("p", { class: "why", "data-testid": "no-quality" }, `No data-quality score: ${score.data_quality_unavailable_reason}.`) : null,
    h("h3", {}, "What would raise your score first"),
    improvementsView(score),
    h("h3", {}, "Why this class"),
    (score.reasons || []).length ? h("ul", { class: "reasons" }, ...score.reasons.map((r) => h("li", {}, r))) : empty("No reason given."),
    trend.length ? h("h3", {}, "Week by week") : null,
    trend.length
      ? lineChart({
          title: "My adoption and data-quality score per week",
          compact: true,
          series: [
            { name: "Adoption score", className: "adoption", points: trend.map((p) => ({ date: p.week_start, value: p.adoption_score })) },
            { name: "Data-quality score", className: "quality", points: trend.map((p) => ({ date: p.week_start, value: p.data_quality_score })) },
          ],
        })
      : null,
    trend.length ? h("p", { class: "why" }, "Each point is one calendar week (the last: this week so far); your scores above cover the last 28 days, so they can differ.") : null,
    h("div", { class: "scroll" }, inputsTable(score.adoption_inputs || [], "Adoption inputs")),
    h("div", { class: "scroll" }, inputsTable(score.data_quality_inputs || [], "Data-quality inputs")),
    score.capture ? h("p", { class: "why" }, h("strong", {}, `Capture: ${score.capture.status}. `), score.capture.explanation) : null,
  );
}

function exclusionsView(current) {
  const list = (name, values) =>
    values.length ? h("ul", { class: "chips", "data-testid": name }, ...values.map((v) => h("li", {}, v))) : empty("None.");
  const message = h("p", { role: "status", "aria-live": "polite", class: "status" });
  const addresses = h("textarea", { id: "excluded-addresses", rows: 3 }, current.excluded_addresses.join("\n"));
  const domains = h("textarea", { id: "excluded-domains", rows: 3 }, current.excluded_domains.join("\n"));
  const lines = (field) => field.value.split(/[\s,]+/).map((v) => v.trim()).filter(Boolean);
  const form = h(
    "form",
    {
      class: "exclusions",
      onsubmit: async (event) => {
        event.preventDefault();
        replace(message, "Saving…");
        try {
          const saved = await api("PUT", "/v1/me/exclusions", { body: { excluded_addresses: lines(addresses), excluded_domains: lines(domains) } });
          replace(message, `Saved: ${saved.excluded_addresses.length} addresses and ${saved.excluded_domains.length} domains are never captured.`);
        } catch (error) {
          replace(message, failure(error.message));
        }
      },
    },
    h("label", { for: "excluded-addresses" }, "Addresses (one per line)"),
    addresses,
    h("label", { for: "excluded-domains" }, "Domains (one per line)"),
    domains,
    h("button", { type: "submit" }, "Save exclusions"),
    message,
  );
  return h("div", {}, h("h3", {}, "Addresses"), list("addresses", current.excluded_addresses), h("h3", {}, "Domains"), list("domains", current.excluded_domains), h("details", {}, h("summary", {}, "Edit"), form));
}

function helpView(items) {
  if (!items.length) return empty("Nothing to suggest right now: keep going as you are.");
  return h("ul", { class: "help" }, ...items.map((item) => h("li", { "data-testid": "help" }, item.text, item.until ? ` (until ${fmt.date(item.until)})` : "")));
}
