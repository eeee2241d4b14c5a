// The YAML editor: a textarea with a line gutter, the API's validation errors at their lines,
// key completion from the dashboard JSON Schema, save with If-Match and a clear conflict message.

import { api } from "./api.js";
import { h, clear, toast } from "./dom.js";

const schemas = new Map();
function schemaAt(url) {
  if (!schemas.has(url)) schemas.set(url, fetch(url).then((r) => (r.ok ? r.json() : null)).catch(() => null));
  return schemas.get(url);
}

/** The node a JSON pointer names in `schema` ("#/$defs/Metric", or the schema's own $id before the #). */
function pointer(schema, ref) {
  const hash = ref.indexOf("#");
  if (hash < 0 || (hash > 0 && ref.slice(0, hash) !== schema.$id)) return undefined;
  return ref.slice(hash + 1).split("/").filter(Boolean)
    .map((k) => decodeURIComponent(k).replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), schema);
}

/** A schema node with its `$ref` chain followed (keywords next to a $ref are kept, as in 2020-12). */
function deref(schema, node) {
  let n = node || {};
  for (let i = 0; n.$ref && i < 10; i += 1) {
    const { $ref, ...rest } = n;
    const target = pointer(schema, $ref);
    if (!target) return rest;
    n = { ...target, ...rest, properties: { ...(target.properties || {}), ...(rest.properties || {}) } };
  }
  return n;
}

function branches(schema, node) {
  const n = deref(schema, node);
  const alts = [...(n.oneOf || []), ...(n.anyOf || []), ...(n.allOf || []), ...[n.then, n.else].filter(Boolean)];
  return alts.length ? [n, ...alts.flatMap((a) => branches(schema, a))] : [n];
}

/**
 * The YAML keys above the cursor line: ["views", 0, "x"] for a line under `x:` in the first view.
 * A `- key:` line opens a list item whose keys sit after the dash, so a line lined up with `key`
 * is a sibling of it in that item ([..., 0]), and a line starting with `- ` is in a new item.
 */
export function pathAt(lines, row) {
  const indentOf = (l) => l.match(/^\s*/)[0].length;
  const current = lines[row] || "";
  const path = [];
  let limit = current.trim() ? indentOf(current) : current.length;
  const item = current.match(/^(\s*)-(\s+|$)/);
  let inItem = false; // the last step was a list item: its key may sit at the dash's own column
  if (item) { path.push(0); limit = item[1].length; inItem = true; }
  for (let i = row - 1; i >= 0 && (limit > 0 || inItem); i -= 1) {
    const line = lines[i];
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const ind = indentOf(line);
    const dash = line.match(/^\s*-(\s+|$)/);
    if (ind > limit || (ind === limit && (dash || !inItem))) continue;
    const keyAt = dash ? dash[0].length : ind;
    const m = line.slice(keyAt).match(/^([A-Za-z_][\w-]*)\s*:/);
    if (m && keyAt < limit) path.unshift(m[1]);
    else if (m && inItem && !dash) path.unshift(m[1]);
    if (dash) path.unshift(0);
    inItem = Boolean(dash);
    limit = ind;
  }
  return path;
}

/** Property names the schema allows at `path` (with their descriptions). */
export function keysAt(schema, path) {
  let nodes = [schema];
  for (const part of path) {
    nodes = nodes.flatMap((n) => branches(schema, n)).flatMap((n) => {
      if (typeof part === "number") return n.items ? [n.items] : [];
      const props = n.properties || {};
      return props[part] ? [props[part]] : n.additionalProperties && typeof n.additionalProperties === "object" ? [n.additionalProperties] : [];
    });
  }
  const out = new Map();
  for (const n of nodes.flatMap((x) => branches(schema, x))) for (const [k, v] of Object.entries(n.properties || {})) if (!out.has(k)) out.set(k, deref(schema, v).description || "");
  return out;
}

/**
 * Mount the editor into `panel` for the YAML document at `base` (`meta` has version and yaml):
 * a dashboard by default, or any document with its `schemaUrl` (the team knowledge file).
 * `onSaved(saved)` runs after a successful save; `readOnly` shows it without saving.
 */
export function mountEditor(panel, { base, slug, meta, onSaved, schemaUrl = "/schemas/dashboard.schema.json", readOnly = false, hint }) {
  const state = { version: meta.version, saving: false };
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const area = h("textarea", { class: "yaml-input", spellcheck: false, autocapitalize: "off", autocomplete: "off", wrap: "off", "aria-label": `${slug}.yaml`, "aria-describedby": `problems-${slug}` });
  area.value = meta.yaml;
  const problems = h("div", { class: "problems", id: `problems-${slug}`, "aria-live": "polite" });
  const suggest = h("ul", { class: "suggest", role: "listbox", "aria-label": "Completions", hidden: true });
  const save = h("button", { type: "button", class: "btn primary", text: "Save" });
  const revert = h("button", { type: "button", class: "btn", text: "Discard changes" });
  const status = h("span", { class: "muted small editor-status", text: `Version ${state.version}` });
  let errorLines = new Map();

  const drawGutter = () => {
    const n = area.value.split("\n").length;
    const rows = [];
    for (let i = 1; i <= n; i += 1) rows.push(h("div", { class: errorLines.has(i) ? "ln bad" : "ln", title: errorLines.get(i) || undefined, text: String(i) }));
    clear(gutter, rows);
    gutter.scrollTop = area.scrollTop;
  };
  area.addEventListener("input", () => { drawGutter(); suggest.hidden = true; });
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });

  function showErrors(details, message) {
    errorLines = new Map();
    const items = (Array.isArray(details) ? details : []).map((d) => {
      if (d.line) errorLines.set(d.line, `${errorLines.has(d.line) ? `${errorLines.get(d.line)}; ` : ""}${d.message}`);
      const link = h("button", { type: "button", class: "link", text: d.line ? `Line ${d.line}` : d.path || "YAML" });
      link.addEventListener("click", () => goTo(d.line || 1, d.column || 1));
      return h("li", {}, link, `: ${d.path ? `${d.path}: ` : ""}${d.message}`);
    });
    clear(problems, h("div", { class: "error-box", role: "alert" }, h("strong", { text: message }), items.length ? h("ul", {}, items) : null));
    drawGutter();
  }

  function goTo(line, column) {
    const lines = area.value.split("\n");
    const offset = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0) + Math.max(0, column - 1);
    area.focus();
    area.setSelectionRange(offset, offset);
    area.scrollTop = Math.max(0, (line - 3) * parseFloat(getComputedStyle(area).lineHeight || "20"));
  }

  async function complete() {
    const schema = await schemaAt(schemaUrl);
    if (!schema) return;
    const pos = area.selectionStart;
    const before = area.value.slice(0, pos);
    const lines = area.value.split("\n");
    const row = before.split("\n").length - 1;
    const current = lines[row];
    const prefix = (before.split("\n").pop().match(/([A-Za-z_]*)$/) || ["", ""])[1];
    const keys = keysAt(schema, pathAt(lines, row));
    const options = [...keys].filter(([k]) => k.startsWith(prefix) && !new RegExp(`^\\s*(-\\s+)?${k}\\s*:`).test(current));
    if (!options.length) { suggest.hidden = true; return; }
    clear(suggest, options.slice(0, 30).map(([k, desc], i) => {
      const li = h("li", { role: "option", id: `sg-${slug}-${i}`, "aria-selected": String(i === 0), dataset: { key: k } }, h("code", { text: k }), desc ? h("small", { class: "muted", text: ` ${desc.slice(0, 80)}` }) : null);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); insert(k, prefix); });
      return li;
    }));
    suggest.hidden = false;
  }

  function insert(key, prefix) {
    const pos = area.selectionStart;
    area.setRangeText(`${key.slice(prefix.length)}: `, pos, pos, "end");
    suggest.hidden = true;
    drawGutter();
    area.focus();
  }

  area.addEventListener("keydown", (e) => {
    if (e.key === " " && e.ctrlKey) { e.preventDefault(); complete(); return; }
    if (suggest.hidden) return;
    const items = [...suggest.children];
    const at = items.findIndex((li) => li.getAttribute("aria-selected") === "true");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = (at + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items.forEach((li, i) => li.setAttribute("aria-selected", String(i === next)));
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      const prefix = (area.value.slice(0, area.selectionStart).match(/([A-Za-z_]*)$/) || ["", ""])[1];
      insert(items[Math.max(0, at)].dataset.key, prefix);
    } else if (e.key === "Escape") {
      suggest.hidden = true;
    }
  });

  save.addEventListener("click", async () => {
    if (state.saving) return;
    state.saving = true;
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      const resp = await api("PUT", base, { body: area.value, headers: { "Content-Type": "application/yaml", "If-Match": String(state.version) }, raw: true });
      const saved = await resp.json();
      state.version = saved.version;
      errorLines = new Map();
      clear(problems);
      drawGutter();
      status.textContent = `Saved as version ${saved.version}`;
      toast(`Saved version ${saved.version}`);
      await onSaved(saved);
    } catch (err) {
      status.textContent = `Version ${state.version}, not saved`;
      if (err.status === 409) {
        const now = err.details && err.details.current_version;
        const reload = h("button", { type: "button", class: "btn small", text: "Load the newer version" });
        reload.addEventListener("click", async () => {
          const latest = await api("GET", base);
          area.value = latest.yaml;
          state.version = latest.version;
          clear(problems);
          drawGutter();
          status.textContent = `Version ${state.version}`;
        });
        clear(problems, h("div", { class: "error-box conflict", role: "alert" },
          h("strong", { text: `Not saved: someone else saved version ${now ?? "newer"} while you were editing version ${state.version}.` }),
          h("p", { text: "Your text is still here. Copy what you need, load the newer version, and apply your change again." }), reload));
      } else {
        showErrors(err.details, err.message);
      }
    } finally {
      state.saving = false;
      save.disabled = false;
    }
  });
  revert.addEventListener("click", () => { area.value = meta.yaml; errorLines = new Map(); clear(problems); drawGutter(); });

  if (readOnly) area.readOnly = true;
  clear(panel,
    h("div", { class: "yaml-head" }, h("div", {}, h("strong", { text: `${slug}.yaml` }), " ", status), readOnly ? null : h("div", { class: "row-actions" }, revert, save)),
    h("p", { class: "muted small", text: hint || "Edit the YAML and save; Ctrl+Space suggests the keys allowed where the cursor is." }),
    h("div", { class: "editor" }, gutter, area), suggest, problems);
  drawGutter();
  return { area, showErrors, setMeta(m) { meta = m; state.version = m.version; area.value = m.yaml; drawGutter(); status.textContent = `Version ${m.version}`; } };
}
