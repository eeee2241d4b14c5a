// Renders one view of the data API: Vega-Lite chart, KPI tile, sortable table or text.

import { h, clear } from "./dom.js";
import { formatValue, isNumber, formatCount, formatDate } from "./format.js";

let interpreter = null;
async function expressionInterpreter() {
  // Vega's CSP-safe expression evaluator (no eval / new Function).
  if (!interpreter) interpreter = import("/vendor/vega-interpreter.js").then((m) => m.expressionInterpreter);
  return interpreter;
}

/** Rows (objects) from the columnar payload: values[i] is column i. */
export function rowsOf(view) {
  const cols = view.columns || [];
  const values = view.values || [];
  const n = values.length ? values[0].length : 0;
  const rows = new Array(n);
  for (let r = 0; r < n; r += 1) {
    const row = {};
    cols.forEach((c, i) => { row[c.name] = values[i][r]; });
    rows[r] = row;
  }
  return rows;
}

export function columnValues(view, name) {
  const i = (view.columns || []).findIndex((c) => c.name === name);
  return i < 0 ? null : view.values[i];
}

const AGG = {
  sum: (xs) => xs.reduce((a, b) => a + b, 0),
  avg: (xs) => (xs.length ? AGG.sum(xs) / xs.length : null),
  min: (xs) => (xs.length ? Math.min(...xs) : null),
  max: (xs) => (xs.length ? Math.max(...xs) : null),
  count: (xs) => xs.length,
};

/** The number a KPI shows: its single value (aggregated in SQL), or the rows aggregated here. */
export function kpiValue(view) {
  const spec = view.spec || {};
  const xs = columnValues(view, spec.field) || (view.values && view.values[0]) || [];
  if (xs.length <= 1) return xs.length ? xs[0] : null;
  const nums = xs.map(Number).filter(isNumber);
  return (AGG[spec.aggregate] || AGG.sum)(nums);
}

export function errorText(err) {
  if (!err) return "This view could not be loaded.";
  if (err.code === "byte_cap_exceeded") return `This query is over the team's byte cap, so it was not run. ${err.message || ""}`.trim();
  return err.message || err.code;
}

/** Fill `body` with the view; returns a Promise that settles once charts are drawn. */
export async function renderView(body, view, options = {}) {
  if (view.status === "error") {
    clear(body, h("div", { class: "view-error", role: "alert" }, h("strong", { text: view.error && view.error.code === "byte_cap_exceeded" ? "Over the byte cap" : "Could not load" }), h("p", { text: errorText(view.error) })));
    return;
  }
  const spec = view.spec || {};
  if (spec.kind === "kpi") return renderKpi(body, view);
  if (spec.kind === "table") return renderTable(body, view);
  if (spec.kind === "text") return renderText(body, spec);
  return renderChart(body, view, options);
}

function renderKpi(body, view) {
  const spec = view.spec;
  const value = kpiValue(view);
  clear(body, h("div", { class: "kpi" },
    h("span", { class: "kpi-value", dataset: { value: value === null ? "" : String(value) }, text: formatValue(value, spec.format || "number", spec.currency) }),
    spec.compare ? kpiDelta(view, spec) : null,
    spec.compare && spec.compare.current_start_field ? kpiPeriod(view, spec.compare) : null,
    view.truncated ? h("small", { class: "muted", text: "from the first rows only" }) : null));
}

/** The period a KPI over the query's own time range shows (its latest complete one). */
function kpiPeriod(view, compare) {
  const first = (name) => { const xs = columnValues(view, name); return xs && xs.length ? xs[0] : null; };
  const start = first(compare.current_start_field), end = first(compare.current_end_field);
  return start && end ? h("small", { class: "muted kpi-period", text: `${formatDate(start)} – ${formatDate(end)}` }) : null;
}

const DIRECTION = { up: ["▲", "Up"], down: ["▼", "Down"], flat: ["=", "No change"] };

/** The KPI's change against the earlier period (computed in SQL): arrow, signed percentage and
 * words, so the direction reads without its colour; the colour says whether it is good. */
export function kpiDelta(view, spec) {
  const compare = spec.compare;
  const first = (name) => { const xs = columnValues(view, name); return xs && xs.length ? xs[0] : null; };
  const previous = first(compare.previous_field);
  const change = Number(first(compare.change_field));
  const ratio = first(compare.ratio_field);
  const start = first(compare.previous_start_field), end = first(compare.previous_end_field);
  const when = start && end ? `${formatDate(start)} – ${formatDate(end)}` : "";
  if (previous === null || previous === undefined || !isNumber(change)) {
    return h("p", { class: "kpi-delta flat", dataset: { direction: "none" }, title: when, text: `No data ${compare.label.replace(/^vs\b/, "for the")}` });
  }
  const direction = change > 0 ? "up" : change < 0 ? "down" : "flat";
  const tone = direction === "flat" ? "flat" : direction === compare.good ? "good" : "bad";
  const [arrow, word] = DIRECTION[direction];
  const sign = change > 0 ? "+" : change < 0 ? "−" : "";
  const amount = formatValue(Math.abs(change), spec.format || "number", spec.currency);
  const pct = isNumber(ratio) ? `${sign}${formatValue(Math.abs(ratio), "percent")}` : `${sign}${amount}`;
  const was = formatValue(previous, spec.format || "number", spec.currency);
  const full = `${word} ${pct.replace(/^[+−]/, "")} ${compare.label}${when ? ` (${when}: ${was})` : ` (${was})`}; ${tone === "good" ? "an improvement" : tone === "bad" ? "a decline" : "unchanged"}.`;
  return h("p", { class: `kpi-delta ${tone}`, dataset: { direction, tone, ratio: ratio === null ? "" : String(ratio) }, title: full },
    h("span", { class: "kpi-arrow", "aria-hidden": "true", text: arrow }), " ",
    h("span", { class: "kpi-change", "aria-hidden": "true", text: pct }), " ",
    h("span", { class: "kpi-compare", "aria-hidden": "true", text: compare.label }),
    h("span", { class: "sr-only", text: full }));
}

function renderText(body, spec) {
  // Markdown shown as safe text: headings and paragraphs, never HTML.
  const blocks = String(spec.markdown || "").split(/\n\s*\n/);
  clear(body, h("div", { class: "text-view" }, blocks.map((block) => {
    const m = block.match(/^(#{1,6})\s+(.*)$/s);
    if (m) return h("h3", { text: m[2].trim() });
    const lines = block.split("\n");
    if (lines.every((l) => /^\s*[-*]\s+/.test(l))) return h("ul", {}, lines.map((l) => h("li", { text: l.replace(/^\s*[-*]\s+/, "").replace(/\*\*|__|`/g, "") })));
    return h("p", { text: block.replace(/\*\*|__|`/g, "") });
  })));
}

function renderTable(body, view) {
  const spec = view.spec || {};
  const rows = rowsOf(view);
  const cols = spec.columns && spec.columns.length
    ? spec.columns
    : (view.columns || []).map((c) => ({ field: c.name, title: c.name }));
  const types = Object.fromEntries((view.columns || []).map((c) => [c.name, c.type]));
  const numeric = (c) => c.format && c.format !== "date" ? true : /INT|FLOAT|NUMERIC|DECIMAL|DOUBLE|BIGINT/i.test(types[c.field] || "");
  let sortBy = null;
  let dir = 1;
  const tbody = h("tbody");
  const max = 500;
  const draw = () => {
    const sorted = sortBy === null ? rows : [...rows].sort((a, b) => {
      const x = a[sortBy.field], y = b[sortBy.field];
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    });
    clear(tbody, sorted.slice(0, max).map((r) => h("tr", {}, cols.map((c) => h("td", { class: numeric(c) ? "num" : "", text: formatValue(r[c.field], c.format || (numeric(c) ? "number" : "text"), c.currency) })))));
  };
  const heads = cols.map((c) => {
    const th = h("th", { scope: "col", class: numeric(c) ? "num" : "", "aria-sort": "none" });
    const button = h("button", { type: "button", class: "sort", text: c.title || c.field });
    button.addEventListener("click", () => {
      dir = sortBy === c ? -dir : 1;
      sortBy = c;
      for (const other of th.parentElement.children) other.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      draw();
    });
    th.append(button);
    return th;
  });
  draw();
  const foot = spec.totals && view.totals ? totalsRow(spec, cols, numeric, view.totals) : null;
  clear(body, h("div", { class: "table-wrap" },
    h("table", {}, h("caption", { class: "sr-only", text: `${view.title || spec.title || "Table"}: ${formatCount(rows.length)} rows${foot ? ", then a totals row" : ""}. Column headers sort.` }), h("thead", {}, h("tr", {}, heads)), tbody, foot)),
    rows.length > max || view.truncated ? h("small", { class: "muted", text: `Showing ${formatCount(Math.min(max, rows.length))} of ${formatCount(view.row_count ?? rows.length)} rows.` }) : null);
}

/** The totals row (computed in SQL, sent apart from the rows): it stays last whatever the sort. */
function totalsRow(spec, cols, numeric, totals) {
  const kinds = spec.totals.columns || {};
  const label = spec.totals.over === "all rows" ? "Total (all rows)" : spec.totals.label || "Total";
  const cells = cols.map((c, i) => {
    const blank = kinds[c.field] === "none" || totals[c.field] === null || totals[c.field] === undefined;
    const text = blank ? "" : formatValue(totals[c.field], c.format || (numeric(c) ? "number" : "text"), c.currency);
    if (i === 0) return h("th", { scope: "row", class: numeric(c) && !blank ? "num" : "", text: blank ? label : `${label}: ${text}` });
    return h("td", { class: numeric(c) ? "num" : "", dataset: { field: c.field }, text });
  });
  return h("tfoot", {}, h("tr", { class: "totals" }, cells));
}

/** A short text alternative for a chart: what is plotted and the range of the measure. */
export function chartSummary(view, rows) {
  const enc = (view.spec && view.spec.encoding) || {};
  const measure = enc.y && enc.y.type === "quantitative" ? enc.y : enc.theta || enc.x || enc.y;
  const dim = measure === enc.y ? enc.x : enc.y || enc.color;
  const parts = [`${view.title || "Chart"}: ${formatCount(rows.length)} data points`];
  if (measure && measure.field) {
    const nums = rows.map((r) => Number(r[measure.field])).filter(isNumber);
    if (nums.length) {
      // a currency axis: "$…" as its format, or inside the compact-ticks label expression
      const axis = measure.axis || {};
      const fmt = /^\$/.test(axis.format || measure.legend?.format || "") || /'\$/.test(axis.labelExpr || "") ? "currency" : "number";
      parts.push(`${measure.title || measure.field} from ${formatValue(Math.min(...nums), fmt)} to ${formatValue(Math.max(...nums), fmt)}`);
    }
  }
  if (dim && dim.field && rows.length) parts.push(`${dim.title || dim.field} from ${rows[0][dim.field]} to ${rows[rows.length - 1][dim.field]}`);
  return `${parts.join("; ")}.`;
}

const MAX_VERTICAL_BARS = 8;
const MAX_VERTICAL_LABEL = 12;

/** Bars turn horizontal when their categories are many, long or the chart is narrow, so that no
 * label is dropped; labels past 180 px are truncated and the bar's tooltip holds the full text. */
export function readableBars(spec, rows, target) {
  const enc = spec.encoding || {};
  const mark = typeof spec.mark === "string" ? spec.mark : spec.mark && spec.mark.type;
  if (mark !== "bar" || !enc.x || !enc.y || !["nominal", "ordinal"].includes(enc.x.type)) return spec;
  if (enc.x.timeUnit) return spec; // periods (a time axis in bands) stay in time order along x
  const labels = [...new Set(rows.map((r) => String(r[enc.x.field] ?? "")))];
  const longest = Math.max(0, ...labels.map((l) => l.length));
  const narrow = (target.clientWidth || 600) < 480;
  if (labels.length <= MAX_VERTICAL_BARS && longest <= MAX_VERTICAL_LABEL && !(narrow && labels.length > 4)) return spec;
  const { x, y, xOffset, ...rest } = enc;
  const sort = typeof x.sort === "string" ? x.sort.replace(/^(-?)y$/, "$1x") : x.sort;
  const flipped = { ...rest, y: { ...x, sort, axis: { ...(x.axis || {}), labelLimit: 180, labelOverlap: false } }, x: y };
  if (xOffset) flipped.yOffset = xOffset;
  return { ...spec, encoding: flipped };
}

const NARROW = 480;

/** A series legend lists every entry: at the bottom it wraps into as many columns as fit
 * (smaller type on a phone); a truncated label keeps its full text in the marks' tooltips. */
export function wrappedLegend(spec, target) {
  const color = spec.encoding && spec.encoding.color;
  if (!color || !color.field || color.type === "quantitative") return spec;
  const width = target.clientWidth || 600;
  const narrow = width < NARROW;
  const columns = Math.max(1, Math.floor(width / (narrow ? 110 : 150)));
  const small = narrow ? { labelFontSize: 10, symbolSize: 50, rowPadding: 2 } : {};
  const legend = { columns, labelLimit: narrow ? 88 : 130, ...small, ...(color.legend || {}) };
  return { ...spec, encoding: { ...spec.encoding, color: { ...color, legend } } };
}

/** Grid rows a phone adds to a chart tile for its series legend (3 entries a line), so the plot
 * keeps its height; 0 for a chart without one. */
export function legendRows(view, rowPx = 64) {
  const color = view.spec && view.spec.encoding && view.spec.encoding.color;
  if (!color || !color.field || color.type === "quantitative") return 0;
  const entries = new Set(columnValues(view, color.field) || []).size;
  return entries > 1 ? Math.ceil((Math.ceil(entries / 3) * 17 + 22) / rowPx) : 0;
}

/** The visible note of a view whose current, incomplete period is marked (when a row is flagged)
 * or left out (when the SQL says it dropped rows: its count column above 0). The compile step
 * wrote the text and names the column. */
export function partialNote(view, rows) {
  const meta = view.spec && view.spec.usermeta && view.spec.usermeta.partial_period;
  if (!meta || !meta.note) return null;
  const flagged = meta.mode === "hide" ? (r) => Number(r[meta.flag]) > 0 : (r) => r[meta.flag] === true;
  if (!rows.some(flagged)) return null;
  return h("p", { class: "chart-note muted", dataset: { partial: meta.mode }, text: meta.note });
}

async function renderChart(body, view, options = {}) {
  const rows = rowsOf(view);
  const note = partialNote(view, rows);
  const summary = chartSummary(view, rows) + (note ? ` ${note.textContent}` : "");
  const target = h("div", { class: "chart", role: "img", "aria-label": summary });
  clear(body, target, note, h("p", { class: "sr-only", text: summary }));
  if (!rows.length) {
    clear(body, h("p", { class: "muted empty", text: "No rows for these parameters." }), note);
    return;
  }
  const spec = wrappedLegend(readableBars({ ...view.spec, description: summary, data: { values: rows } }, rows, target), target);
  const brush = [{ name: "brush", select: { type: "interval", encodings: ["x"] } }];
  if (options.brush && spec.mark && !spec.params) spec.params = brush;
  // a layered chart (a partial period drawn dashed) brushes on its first, solid layer
  if (options.brush && spec.layer && !spec.layer[0].params) spec.layer = [{ ...spec.layer[0], params: brush }, ...spec.layer.slice(1)];
  if (options.clickable) spec.config = { ...(spec.config || {}), mark: { ...((spec.config || {}).mark || {}), cursor: "pointer" } };
  const expr = await expressionInterpreter();
  const result = await globalThis.vegaEmbed(target, spec, {
    actions: false, renderer: "svg", ast: true, expr, defaultStyle: false, tooltip: { theme: "light" },
  });
  // the container is the chart's one image with its text alternative; Vega's marks (and a brush's
  // rectangles) are not separate, unlabelled images to assistive technology
  target.querySelector("svg")?.setAttribute("aria-hidden", "true");
  body._vega = result;
}

/** Whether a clicked mark (``datum``) or legend entry (``value``) is a series view's folded
 * remainder: told by its rank past the cap, never by its label (a real series may be "Other"). */
export function isFolded(view, series, datum, value) {
  const rank = (row) => Number(row[series.rank]) > series.limit;
  if (datum && series.rank in datum) return rank(datum);
  return rowsOf(view).some((row) => row[series.field] === value && rank(row));
}
