// Number and time formatting with Intl, per a view spec's `format`.

const cache = new Map();
function nf(options) {
  const key = JSON.stringify(options);
  if (!cache.has(key)) cache.set(key, new Intl.NumberFormat(undefined, options));
  return cache.get(key);
}

export function isNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/** A value formatted for people: `format` is number | integer | percent | currency | date. */
export function formatValue(value, format, currency) {
  if (value === null || value === undefined) return "—";
  if (format === "date") return formatDate(value);
  const n = typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
  if (!isNumber(n)) return String(value);
  switch (format) {
    case "currency":
      return nf({ style: "currency", currency: currency || "USD", maximumFractionDigits: Math.abs(n) >= 1000 ? 0 : 2 }).format(n);
    case "percent":
      return nf({ style: "percent", maximumFractionDigits: 1 }).format(n);
    case "integer":
      return nf({ maximumFractionDigits: 0 }).format(n);
    default:
      return nf({ maximumFractionDigits: Math.abs(n) >= 100 ? 0 : 2 }).format(n);
  }
}

export function formatDate(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const dateOnly = typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
  return new Intl.DateTimeFormat(undefined, dateOnly ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium", timeStyle: "short" }).format(d);
}

export function formatCount(n) {
  return isNumber(n) ? nf({ maximumFractionDigits: 0 }).format(n) : "—";
}

export function formatBytes(n) {
  if (!isNumber(n)) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${nf({ maximumFractionDigits: i ? 1 : 0 }).format(n)} ${units[i]}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(iso, now = Date.now()) {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "unknown";
  const min = Math.max(0, Math.round((now - t) / 60000));
  if (min < 1) return "just now";
  if (min < 60) return `${min} min ago`;
  const hours = Math.round(min / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}
