// How numbers are shown, in one place so every view (and the browser tests) agree.

export function percent(ratio) {
  return `${Math.round(ratio * 100)}%`;
}

export function score(value) {
  return `${Math.round(value)}`;
}

export function inputValue(input) {
  switch (input.unit) {
    case "ratio":
      return percent(input.value);
    case "hours":
      return `${input.value.toFixed(1)} h`;
    case "days_per_week":
      return `${input.value.toFixed(1)} days/week`;
    case "count":
      return `${Math.round(input.value)}`;
    default:
      return `${input.value}`;
  }
}

export function inputTarget(input) {
  return inputValue({ ...input, value: input.target });
}

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
};

export const classHelp = (name) => CLASS_HELP[name] || "";

export function date(iso) {
  if (!iso) return "—";
  const value = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  return value.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

export function time(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
}

export function money(amount) {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(amount);
}
