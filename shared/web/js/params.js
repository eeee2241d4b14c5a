// Dashboard parameter controls (selects, dates with presets) and cross-filter chips.

import { h, clear } from "./dom.js";

const iso = (d) => d.toISOString().slice(0, 10);

/** Date presets of a date range: [label, start, end] relative to `today` (UTC). */
export function presets(today = new Date()) {
  const day = (n) => iso(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - n)));
  return [
    ["Last 7 days", day(6), day(0)],
    ["Last 30 days", day(29), day(0)],
    ["Last 90 days", day(89), day(0)],
    ["This year", `${today.getUTCFullYear()}-01-01`, day(0)],
  ];
}

/** Checkboxes for a multi-value parameter: "All", each option, and a search box when there are many. */
function multiControl(p, label, onChange) {
  const chosen = new Set((Array.isArray(p.value) ? p.value : [p.value]).map(String));
  const boxes = p.options.map((o) => h("input", { type: "checkbox", name: p.name, value: String(o), checked: chosen.has(String(o)) }));
  const all = h("input", { type: "checkbox", class: "all", checked: boxes.every((b) => b.checked) });
  const sync = () => { all.checked = boxes.every((b) => b.checked); };
  all.addEventListener("change", () => { for (const b of boxes) b.checked = all.checked; if (all.checked) onChange(); });
  for (const b of boxes) b.addEventListener("change", () => { sync(); if (boxes.some((x) => x.checked)) onChange(); });
  const items = boxes.map((b) => h("label", { class: "check" }, b, ` ${b.value}`));
  const search = p.options.length > 8 ? h("input", { type: "search", class: "option-search", placeholder: "Search", "aria-label": `Search ${label}` }) : null;
  search?.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    items.forEach((item, i) => { item.hidden = !!q && !boxes[i].value.toLowerCase().includes(q); });
  });
  search?.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
  return h("fieldset", { class: "field param multi" }, h("legend", { text: label }), search,
    h("div", { class: "checks" }, h("label", { class: "check all-label" }, all, " All"), items));
}

/** A text input offering the values of a query column (fetched by `values(name, q)`) as it is typed. */
function valuesControl(p, id, label, onChange, values) {
  const list = h("datalist", { id: `${id}-values` });
  const control = h("input", { type: "text", id, name: p.name, list: list.id, autocomplete: "off", value: p.value ?? "" });
  let timer = 0;
  const fill = (q) => values(p.name, q).then((r) => clear(list, r.values.map((v) => h("option", { value: v }))), () => {});
  control.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => fill(control.value), 250); });
  control.addEventListener("change", onChange);
  fill("");
  return h("div", { class: "field param" }, h("label", { for: id, text: label }), control, list);
}

export function paramControl(p, onChange, values) {
  const id = `param-${p.name}`;
  const label = p.label || p.name.replace(/_/g, " ");
  let control;
  if (p.values_from && values) return valuesControl(p, id, label, onChange, values);
  if (p.multiple && p.options && p.options.length) return multiControl(p, label, onChange);
  if (p.options && p.options.length) {
    // "All" (p.all) is the empty value: sent as `name=` so it wins over a default option
    const all = p.all ? [h("option", { value: "", text: "All" })] : [];
    control = h("select", { id, name: p.name, dataset: p.all ? { all: "true" } : {} },
      all, p.options.map((o) => h("option", { value: String(o), text: String(o) })));
    control.value = p.value === null || p.value === undefined ? "" : String(p.value);
  } else if (p.type === "date_range") {
    const [a, b] = Array.isArray(p.value) ? p.value : String(p.value || "").split(",");
    const start = h("input", { type: "date", id, name: `${p.name}_start`, value: a || "", "aria-label": `${label} start` });
    const end = h("input", { type: "date", name: `${p.name}_end`, value: b || "", "aria-label": `${label} end` });
    start.addEventListener("change", onChange);
    end.addEventListener("change", onChange);
    const chips = presets().map(([text, from, to]) => h("button", {
      type: "button", class: "chip small", text, "aria-pressed": String(a === from && b === to),
      onclick: (e) => {
        start.value = from;
        end.value = to;
        for (const c of chips) c.setAttribute("aria-pressed", String(c === e.currentTarget));
        onChange();
      },
    }));
    return h("div", { class: "field param" }, h("label", { for: id, text: label }), h("div", { class: "range" }, start, end), h("div", { class: "presets", role: "group", "aria-label": `${label} presets` }, chips));
  } else {
    const type = p.type === "date" ? "date" : p.type === "number" ? "number" : "text";
    control = h("input", { type, id, name: p.name, value: p.value === null || p.value === undefined ? "" : String(p.value), step: type === "number" ? "any" : undefined });
  }
  control.addEventListener("change", onChange);
  return h("div", { class: "field param" }, h("label", { for: id, text: label }), control);
}

/** Cross-filters in a query string: [{key, field, value, kind}] for filter.* and range.* keys. */
export function filtersOf(query) {
  const out = [];
  for (const [key, value] of new URLSearchParams(query)) {
    const m = key.match(/^(filter|range)\.(\w+)$/);
    if (m) out.push({ key, kind: m[1], field: m[2], value });
  }
  return out;
}

/** The removable chips of the active cross-filters. */
export function filterChips(filters, onRemove, onClear) {
  if (!filters.length) return null;
  return h("div", { class: "filter-chips", role: "group", "aria-label": "Active filters" },
    h("span", { class: "muted small", text: "Filtered by" }),
    filters.map((f) => h("button", {
      type: "button", class: "chip filter-chip", dataset: { field: f.field },
      "aria-label": `Remove filter ${f.field} ${f.kind === "range" ? "between" : "="} ${f.value}`,
      onclick: () => onRemove(f.key),
    }, `${f.field.replace(/_/g, " ")}: ${f.kind === "range" ? f.value.replace("..", " – ") : f.value}`, h("span", { "aria-hidden": "true", text: " ×" }))),
    filters.length > 1 ? h("button", { type: "button", class: "link small", text: "Clear all", onclick: onClear }) : null);
}

/** The field a click on a chart filters by: its category (not the measure, not a time axis). */
export function filterField(view) {
  const enc = (view.spec && view.spec.encoding) || {};
  for (const ch of ["color", "x", "y", "theta"]) {
    const e = enc[ch];
    if (e && e.field && (e.type === "nominal" || e.type === "ordinal")) return e.field;
  }
  return null;
}

/** The temporal x field of a line or area chart (a brush on it narrows the period). */
export function timeField(view) {
  const x = view.spec && view.spec.encoding && view.spec.encoding.x;
  return x && x.type === "temporal" && x.field && (view.type === "line" || view.type === "area") ? x.field : null;
}
