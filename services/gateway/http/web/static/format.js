// How numbers are shown, in one place so every view (and the browser tests) agree.

export function percent(ratio) {
  return `${Math.round(ratio * 100)}%`;
}

export function score(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)}`;
}

export function inputValue(input) {
  if (input.value === null || input.value === undefined) return "—"; // not measured: no data, not 0
  switch (input.unit) {
    case "ratio":
      return percent(input.value);
    case "hours":
      return `${input.value.toFixed(1)} h`;
    case "days_per_week":
      return `${input.value.toFixed(1)} days a week`;
    case "per_week":
      return `${input.value.toFixed(1)} a week`;
    case "count":
      return `${Math.round(input.value)}`;
    default:
      return `${input.value}`;
  }
}

export function inputTarget(input) {
  return inputValue({ ...input, value: input.target });
}

// Inputs in plain language: what the rep does, not the field's name.
const INPUT_LABELS = {
  crm_login_days: "Days you open the CRM",
  crm_write_days: "Days you update the CRM",
  manual_logging_rate: "Customer meetings logged",
  logged_within_24h: "Logged within a day",
  not_bulk_logged: "Logged as it happens (not in a batch)",
  median_hours_to_log: "Typical time to log a meeting",
  capture_coverage: "E-mails and meetings linked to CRM records",
  required_fields_complete: "Required fields filled on open deals",
  pipeline_freshness: "Open deals with activity this week",
  update_cadence: "Open deals updated this week",
  close_dates_current: "Open deals with a close date ahead",
  next_steps_present: "Open deals with a next step not overdue",
  no_duplicates: "Accounts and contacts without duplicates",
  unknown_contacts: "People you talk to who are not in the CRM",
};

export const inputLabel = (name) => INPUT_LABELS[name] || label(name);

// What to do to raise an input, for "what would raise your score first".
const INPUT_ADVICE = {
  crm_login_days: "Open the CRM on more days of the week.",
  crm_write_days: "Update a deal, contact or activity on more days of the week.",
  manual_logging_rate: "Log your customer meetings in the CRM.",
  logged_within_24h: "Log each meeting the same day.",
  not_bulk_logged: "Log meetings as they happen instead of in one batch at the end of the week.",
  capture_coverage: "Add the people you e-mail and meet as CRM contacts.",
  required_fields_complete: "Fill the required fields on your open deals.",
  pipeline_freshness: "Follow up on the open deals nobody has touched in a week.",
  update_cadence: "Update your open deals (stage, next step) every week.",
  close_dates_current: "Move past close dates on open deals to a realistic date.",
  next_steps_present: "Give every open deal a next step with a date ahead.",
  no_duplicates: "Merge your duplicate accounts and contacts.",
};

export const inputAdvice = (name) => INPUT_ADVICE[name] || "";

export function label(name) {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const METRIC_LABELS = {
  weekly_active_users: "Weekly active users",
  dau_mau: "Daily / monthly active",
  required_field_completeness: "Required fields filled",
  pipeline_without_activity_7d: "Pipeline without activity (7 days)",
};

export const metricLabel = (name) => METRIC_LABELS[name] || label(name);

const CLASS_LABELS = {
  adopter: "Adopter",
  workarounder: "Workarounder",
  skeptic: "Skeptic",
  ghost: "Ghost",
  insufficient_data: "Not enough data",
  manager: "Manager",
  unspecified: "Not classified",
};

export const classLabel = (name) => CLASS_LABELS[name] || label(name || "unspecified");

// What each class means (docs/scoring.md); shown as the badge's tooltip.
const CLASS_HELP = {
  adopter: "Uses the CRM regularly and keeps it up to date.",
  workarounder: "Uses the CRM, but late, in bulk or with stale deals.",
  skeptic: "Logs in but rarely writes anything, with a falling trend.",
  ghost: "No CRM use in 14 days while real customer activity is captured.",
  insufficient_data: "Too little captured activity to judge fairly (for example a mailbox that stopped syncing).",
  manager: "A team's manager: shown with their own CRM use, not scored as a rep.",
};

export const classHelp = (name) => CLASS_HELP[name] || "";

// Dates and times in the reader's own locale and time zone (the browser's), never forced to UTC or
// to a 12-hour clock. A plain ISO date (yyyy-mm-dd) is a calendar day and is shown as that day.
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function date(iso) {
  if (!iso) return "—";
  if (iso.length === 10) {
    return new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }
  return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

export function shortDate(iso) {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
}

export function time(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

// Today as a calendar day in the reader's time zone (yyyy-mm-dd).
export function localToday() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function money(amount) {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(amount);
}
