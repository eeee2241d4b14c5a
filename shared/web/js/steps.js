// The agent's steps in plain words ("Looked at 7 tables", "Dry run: 12 MB, under the 100 MB cap").

import { formatBytes } from "./format.js";

const short = (name) => String(name || "").split(".").pop();

/** What a tool call is doing, before its result arrives. */
export function stepLabel(name, args = {}) {
  switch (name) {
    case "list_datasets": return "Listing the datasets";
    case "list_tables": return args.dataset ? `Listing the tables of ${short(args.dataset)}` : "Listing the tables";
    case "get_table_schema": return `Reading the columns of ${short(args.table)}`;
    case "get_column_values": return `Looking at the values of ${args.column || "a column"}${args.table ? ` in ${short(args.table)}` : ""}`;
    case "run_dry_run_query": return "Dry-running a query";
    case "validate_dashboard_yaml": return "Checking the dashboard";
    case "save_dashboard_yaml": return `Saving the dashboard${args.slug ? ` ${args.slug}` : ""}`;
    case "list_dashboards": return "Looking at the saved dashboards";
    case "get_dashboard": return `Opening the dashboard ${args.slug || ""}`.trim();
    default: return String(name || "step").replace(/_/g, " ");
  }
}

/** What a finished tool call found. */
export function resultLabel(name, args = {}, data = {}) {
  const r = data.result || {};
  if (!data.ok) return `${stepLabel(name, args)}: failed${data.error && data.error.message ? ` (${data.error.message})` : ""}`;
  switch (name) {
    case "list_datasets": return `Found ${(r.datasets || []).length} datasets`;
    case "list_tables": return `Looked at ${(r.tables || []).length} tables`;
    case "get_table_schema": return `Read ${(r.columns || []).length} columns of ${short(args.table)}`;
    case "get_column_values": return `Looked at the values of ${args.column || "a column"}${Array.isArray(r.values) ? ` (${r.values.length} shown)` : ""}`;
    case "run_dry_run_query":
      if (typeof r.bytes_processed !== "number") return `Dry run failed${r.error ? `: ${r.error.message}` : ""}`;
      return `Dry run: ${formatBytes(r.bytes_processed)}, ${r.passed ? "under" : "over"} the ${formatBytes(r.byte_cap)} cap`;
    case "validate_dashboard_yaml": {
      const n = (r.errors || []).length;
      return r.valid || !n ? "Checked the dashboard: valid" : `Checked the dashboard: ${n} ${n === 1 ? "problem" : "problems"} to fix`;
    }
    case "save_dashboard_yaml": return `Saved the dashboard${r.slug ? ` ${r.slug}` : ""}${r.version ? ` (version ${r.version})` : ""}`;
    case "list_dashboards": return `Found ${(r.dashboards || []).length} saved dashboards`;
    case "get_dashboard": return `Opened the dashboard ${r.slug || args.slug || ""}`.trim();
    default: return data.summary || stepLabel(name, args);
  }
}
